#!/usr/bin/env python3
"""Turns `levers kpi --format json` and `levers challenges --format json` for the benchmark
workspace into the reference job's figures (../shared/bench), so compare_json.py can check them.

    python3 levers_figures.py KPI.json CHALLENGES.json > levers.json
"""
import json
import sys
from decimal import Decimal

kpis = json.load(open(sys.argv[1]))
challenges = json.load(open(sys.argv[2]))
by_id = {(k["kpi"], k.get("by_group")): k for k in kpis}


def value(kpi, field="actual"):
    return Decimal(str(by_id[(kpi, None)][field]))


def pence(amount):
    return int(Decimal(str(amount)) * 100)


def challenged(rule):
    """Every record the rule selects: those it took, and those an earlier rule in precedence
    took that name it as also applying (levers challenges a record once; the reference job
    counts each rule on its own)."""
    rows = [c for c in challenges if c["rule"] == rule or rule in c.get("also", [])]
    return {"rows": len(rows), "price_pence": sum(pence(c["value"]) for c in rows)}


pods = ["AE", "DC", "EL", "NEL", "OPFA", "OPFU"]
ae = by_id[("ae-4hr", None)]
dup = challenged("duplicate")
inv = challenged("invalid-nhs-number")
blank = int(value("nhs-blank"))
bad = int(value("nhs-bad-check"))
ratio = {}
for k in kpis:
    if k["kpi"] == "fu-ratio":
        fa, fu = int(k["denominator"]), int(k["numerator"])
        if fa == 0 and fu == 0:
            continue
        ratio[k["by_group"]] = {"opfa": fa, "opfu": fu, "ratio": round(fu / fa, 6) if fa else None}
out = {
    "rows": sum(int(value(f"rows-{p.lower()}")) for p in pods),
    "total_price_pence": pence(value("total-value")),
    "ae": {"attendances": int(ae["denominator"]), "within_4h": int(ae["numerator"]),
           "pct_within_4h": round(100.0 * ae["numerator"] / ae["denominator"], 6), "over_12h": int(value("ae-12hr"))},
    "duplicates": dup,
    "invalid_nhs": {"rows": inv["rows"], "blank": blank, "bad_check": bad, "price_pence": inv["price_pence"]},
    "non_contracted": challenged("non-contracted"),
    "wrong_commissioner": challenged("wrong-commissioner"),
    "op_fu_ratio": ratio,
    "by_pod": {p: {"rows": int(value(f"rows-{p.lower()}")), "price_pence": pence(value(f"value-{p.lower()}"))}
               for p in pods if value(f"rows-{p.lower()}") > 0},
}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
