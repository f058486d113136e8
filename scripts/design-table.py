#!/usr/bin/env python3
"""Tabulates the SNAN front-end design sweep (scripts/design-sweep.sh): one row per variant with
snan-cnn's mean ± sd accuracy (%) per condition and its gap to cnn, plus the cnn and cnn+median rows
of the first variant's run for reference. Usage: scripts/design-table.py [out/design]"""
import csv
import statistics as st
import sys
from collections import defaultdict
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else "out/design")
conds = [("none", "0"), ("impulse", "0.2"), ("impulse", "0.4"), ("occlusion", "0.3"), ("occlusion", "0.5")]
names = {"none": "clean", "impulse": "impulse", "occlusion": "occlusion"}


def load(path):
    acc = defaultdict(dict)
    with open(path) as f:
        for r in csv.DictReader(f):
            acc[(r["model"], r["corruption"], str(float(r["level"])).rstrip("0").rstrip(".") if r["level"] != "0" else "0")][r["seed"]] = 100 * float(r["accuracy"])
    return acc


def cell(vals):
    v = list(vals)
    if not v:
        return "—"
    sd = st.stdev(v) if len(v) > 1 else 0.0
    return f"{st.mean(v):.1f} ± {sd:.1f}"


header = "| variant | " + " | ".join(f"{names[c]} {l}" if c != "none" else "clean" for c, l in conds) + " |"
print(header)
print("|" + "---|" * (len(conds) + 1))
first = None
for d in sorted(p for p in root.iterdir() if (p / "results.csv").exists()):
    acc = load(d / "results.csv")
    first = first or acc
    cells = []
    for c, l in conds:
        h, p = acc.get(("snan-cnn", c, l), {}), acc.get(("cnn", c, l), {})
        gaps = [h[s] - p[s] for s in h if s in p]
        cells.append(f"{cell(h.values())} ({'+' if gaps and st.mean(gaps) >= 0 else ''}{st.mean(gaps):.1f})" if gaps else cell(h.values()))
    print(f"| snan-cnn {d.name} | " + " | ".join(cells) + " |")
if first:
    for m in ["cnn", "cnn+median"]:
        print(f"| {m} | " + " | ".join(cell(first.get((m, c, l), {}).values()) for c, l in conds) + " |")
