#!/usr/bin/env python3
"""Figures computed on another engine, back into levers as a provider return (§4.3, §6.1).

Runs a script written by `levers sql` on DuckDB and prints the rows of a returns file
(`data/returns/<YYYY-MM>.csv`: kpi,numerator,denominator,value,note) for the KPIs named:
a ratio as its numerator and denominator, any other measure as its value. `KPI=ID` writes the
figure of KPI under the id ID (the contract that reads the return may name it differently).

    levers sql -c northshore-acute --month 2026-10 > acute.sql
    python3 examples/sql-returns.py acute.sql ae-4hr=ae-4hr-sus > returns.csv

A KPI with `by` has one figure per group, which a return cannot hold: it is refused.
"""

import csv
import sys
from decimal import Decimal

import duckdb


def plain(x):
    """A decimal as plain text without trailing zeros: 9.000000000000 -> 9."""
    if x is None:
        return ""
    text = format(Decimal(x).normalize(), "f")
    return text


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    script, wanted = argv[1], argv[2:]
    con = duckdb.connect()
    with open(script, encoding="utf-8") as f:
        con.execute(f.read())
    rows = con.sql('SELECT kpi, "group", numerator, denominator, value FROM levers_kpi').fetchall()
    figures = {}
    for kpi, group, numerator, denominator, value in rows:
        figures.setdefault(kpi, []).append((group, numerator, denominator, value))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["kpi", "numerator", "denominator", "value", "note"])
    for item in wanted:
        kpi, _, as_id = item.partition("=")
        as_id = as_id or kpi
        if kpi not in figures:
            print(f"sql-returns: no KPI `{kpi}` in levers_kpi", file=sys.stderr)
            return 1
        if len(figures[kpi]) != 1 or figures[kpi][0][0] is not None:
            print(f"sql-returns: KPI `{kpi}` has a figure per group, which a return cannot hold", file=sys.stderr)
            return 1
        _, numerator, denominator, value = figures[kpi][0]
        note = f"computed by levers sql on DuckDB from {kpi}"
        if numerator is not None:
            out.writerow([as_id, numerator, denominator, "", note])
        else:
            out.writerow([as_id, "", "", plain(value), note])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
