#!/usr/bin/env python3
"""Runs `levers sql` on DuckDB and Spark and compares every figure with levers' own.

For each contract of a workspace and each month whose files are all there, the script asks
levers for the SQL (`levers sql -c ID --dialect D --month M`), runs it, and compares the views
levers_kpi and levers_challenges with `levers kpi` and `levers challenges --format json`:

- every measured KPI (and group) present in both, none extra;
- numerator and denominator of ratios equal exactly;
- the value of counts, sums, medians and percentiles equal exactly; of ratios and means (a
  quotient, which both round at the twelfth decimal place: levers' JSON half to even, the SQL
  half away from zero) within one unit of that place;
- no activity (NULL) in the same places;
- every challenge id raised in the month present in both, none extra, with the same rule,
  record and value to the penny.

Usage: verify.py --levers BIN --workspace DIR --today YYYY-MM-DD [--engines duckdb,spark]
       [--months 2026-09,2026-10] [--contracts a,b]
Exit 0 when everything is equal; 1 with every difference listed otherwise.
"""

import argparse
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

QUOTIENTS = {"ratio", "mean"}
TOLERANCE = Decimal("1e-12")


def levers(args, *command):
    result = subprocess.run(
        [args.levers, "--workspace", args.workspace, "--today", args.today, *command],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"levers {' '.join(command)} failed:\n{result.stderr}")
    return result.stdout


def contracts_of(workspace):
    return sorted(p.name for p in (Path(workspace) / "contracts").iterdir() if (p / "contract.toml").is_file())


def months_of(workspace, contract):
    """Months for which every dataset folder but returns has a file."""
    data = Path(workspace) / "contracts" / contract / "data"
    if not data.is_dir():
        return []
    sets = [
        {f.stem for f in d.glob("*.csv")}
        for d in data.iterdir()
        if d.is_dir() and d.name != "returns"
    ]
    return sorted(set.intersection(*sets)) if sets else []


class DuckDb:
    name = "duckdb"

    def __init__(self):
        import duckdb

        self.duckdb = duckdb

    def run(self, sql):
        con = self.duckdb.connect()
        con.execute(sql)
        kpis = con.sql('SELECT kpi, "group", numerator, denominator, value FROM levers_kpi').fetchall()
        challenges = con.sql("SELECT id, rule, record, value FROM levers_challenges").fetchall()
        con.close()
        return kpis, challenges


class Spark:
    name = "spark"

    def __init__(self):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        from pyspark.sql import SparkSession

        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("levers-sql-verify")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")

    def run(self, sql):
        for statement in sql.split(";\n"):
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
            if body.strip():
                self.spark.sql(body)
        kpis = [tuple(r) for r in self.spark.sql("SELECT kpi, `group`, numerator, denominator, value FROM levers_kpi").collect()]
        challenges = [tuple(r) for r in self.spark.sql("SELECT id, rule, record, value FROM levers_challenges").collect()]
        return kpis, challenges


class Postgres:
    """PostgreSQL through psql (as the server's superuser, so that COPY may read the files)."""

    name = "postgres"

    def __init__(self):
        self.psql = os.environ.get("LEVERS_PSQL", "psql").split()

    def run(self, sql):
        query = sql + (
            "\\pset null '<NULL>'\n"
            "\\echo ==kpi==\n"
            'SELECT kpi, "group", numerator, denominator, value FROM levers_kpi;\n'
            "\\echo ==challenges==\n"
            "SELECT id, rule, record, value FROM levers_challenges;\n"
        )
        result = subprocess.run(
            [*self.psql, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
            input=query,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"psql failed:\n{result.stderr}")
        part, out = None, {"kpi": [], "challenges": []}
        for line in result.stdout.splitlines():
            if line.startswith("==") and line.endswith("=="):
                part = line.strip("=")
                continue
            if part and line:
                cells = [None if c == "<NULL>" else c for c in line.split("\t")]
                out[part].append(cells)
        kpis = [
            (k, g, None if n is None else int(n), None if d is None else int(d), v)
            for k, g, n, d, v in out["kpi"]
        ]
        return kpis, [tuple(c) for c in out["challenges"]]


def dec(x):
    return None if x is None else Decimal(str(x))


def compare(args, engine, contract, month, problems):
    sql = levers(args, "sql", "-c", contract, "--dialect", engine.name, "--month", month)
    kpis, challenges = engine.run(sql)
    where = f"{engine.name} {contract} {month}"

    expected = {}
    for k in json.loads(levers(args, "kpi", "-c", contract, "-m", month, "--format", "json")):
        if k["measure"] == "returned":
            continue
        expected[(k["kpi"], k["group"])] = k
    got = {}
    for kpi, group, numerator, denominator, value in kpis:
        key = (kpi, group)
        if key in got:
            problems.append(f"{where}: KPI {key} twice in levers_kpi")
        got[key] = (numerator, denominator, dec(value))
    for key in sorted(set(expected) - set(got), key=str):
        problems.append(f"{where}: KPI {key} missing from levers_kpi")
    for key in sorted(set(got) - set(expected), key=str):
        problems.append(f"{where}: KPI {key} in levers_kpi but not in levers kpi")
    for key in sorted(set(got) & set(expected), key=str):
        k = expected[key]
        numerator, denominator, value = got[key]
        if k["measure"] == "ratio":
            if (numerator, denominator) != (k["numerator"], k["denominator"]):
                problems.append(f"{where}: KPI {key}: SQL {numerator}/{denominator}, levers {k['numerator']}/{k['denominator']}")
        elif (numerator, denominator) != (None, None):
            problems.append(f"{where}: KPI {key}: a {k['measure']} has no numerator or denominator in levers_kpi")
        actual = dec(k["actual"])
        if actual is None or value is None:
            if actual != value:
                problems.append(f"{where}: KPI {key}: SQL value {value}, levers {actual}")
        elif k["measure"] in QUOTIENTS:
            if abs(actual - value) > TOLERANCE:
                problems.append(f"{where}: KPI {key}: SQL value {value}, levers {actual}")
        elif actual != value:
            problems.append(f"{where}: KPI {key}: SQL value {value}, levers {actual} (exact)")

    expected_c = {
        c["id"]: c
        for c in json.loads(levers(args, "challenges", "-c", contract, "-m", month, "--format", "json"))
        if c["month"] == month
    }
    got_c = {}
    for id_, rule, record, value in challenges:
        if id_ in got_c:
            problems.append(f"{where}: challenge {id_} twice in levers_challenges")
        got_c[id_] = (rule, record, dec(value))
    for id_ in sorted(set(expected_c) - set(got_c)):
        problems.append(f"{where}: challenge {id_} ({expected_c[id_]['value']}) missing from levers_challenges")
    for id_ in sorted(set(got_c) - set(expected_c)):
        problems.append(f"{where}: challenge {id_} ({got_c[id_][2]}) in levers_challenges but not raised by levers")
    for id_ in sorted(set(got_c) & set(expected_c)):
        c = expected_c[id_]
        rule, record, value = got_c[id_]
        if (rule, record, value) != (c["rule"], c["record"], Decimal(c["value"])):
            problems.append(f"{where}: challenge {id_}: SQL {rule} {record} {value}, levers {c['rule']} {c['record']} {c['value']}")
    return len(got), len(got_c)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levers", required=True)
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--today", required=True)
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--months", default="")
    parser.add_argument("--contracts", default="")
    args = parser.parse_args()
    engines = {"duckdb": DuckDb, "spark": Spark, "postgres": Postgres}
    problems = []
    for name in args.engines.split(","):
        engine = engines[name]()
        for contract in args.contracts.split(",") if args.contracts else contracts_of(args.workspace):
            months = args.months.split(",") if args.months else months_of(args.workspace, contract)
            kpis = challenges = 0
            for month in months:
                k, c = compare(args, engine, contract, month, problems)
                kpis += k
                challenges += c
            print(f"{name}: {contract}: {len(months)} months, {kpis} KPI figures and {challenges} challenges compared")
    if problems:
        print(f"{len(problems)} differences:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print("every figure equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
