#!/usr/bin/env python3
"""Runs a `levers sql` script on DuckDB and writes both views to OUT (the benchmark's sink).

    python3 benches/sql_duckdb.py SCRIPT.sql OUT
"""
import sys

import duckdb

script, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
with open(script, encoding="utf-8") as f:
    con.execute(f.read())
con.execute(f"COPY (SELECT * FROM levers_kpi) TO '{out}.kpi.csv' (HEADER)")
con.execute(f"COPY (SELECT * FROM levers_challenges) TO '{out}.challenges.csv' (HEADER)")
with open(out, "w") as f:
    f.write("levers_kpi and levers_challenges written beside this file\n")
