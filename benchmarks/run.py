"""``make bench``: every speed goal of the project, each as a ratio against a
baseline measured in the same run (never as a timed unit test).

1. anchors   — the shared admission policy in jiceng, Cedar, Rego, GoRules …
               against a hand-written Python function (../shared/anchors).
               Goal: jiceng ≤ 10× the Python function per decision.
2. compile   — the shipped packs (rule_packs/), parsed, and compiled cold
               tenant by tenant; then a generated 2,000-rule pack, cold: parse,
               check, compile. Goal: the 2,000-rule pack under 1 s. Baseline:
               Lark's stock LALR parser building a parse tree of the same text.
3. scaling   — decision time as packs grow from 25 to 3,200 rules, for rules
               indexable on a discriminating field and for rules that are not.
               Goal: sub-linear growth where rules can be indexed.
4. service   — Flask's trivial /healthz and the admission check side by side
               under the same loopback load (gunicorn, 2 stock gthread
               workers, interleaved rounds), the first seconds after a start
               with and without the master's cache warming, and assignments
               with their writes (benchmarks/service_bench.py). Goals: a check
               costs ≤ 2× /healthz (requests per second of /healthz over those
               of the check), with p99 ≤ 20 ms; on PostgreSQL ≥ 500
               assignments/s from two processes and ≥ 0.3× a bare one-row
               UPDATE + COMMIT on one connection in the same run (the
               baseline issue 15 measured; the same UPDATE from two
               processes at once is reported beside it). Beside
               them, the floor of any logged request (benchmarks/floor_app.py:
               a plain Flask route reading one row and writing one in a
               transaction, beside its own /healthz): the best ratio a check
               that logs its decision can reach on the machine, and the
               check's worker CPU over the floor's; and the floor of a
               hash-chained assignment written the plain way (its statements,
               one per round trip), against the bare UPDATE from two
               processes.
5. forms     — validating a typical task against its form: jsonschema,
               jsonschema-rs, fastjsonschema and the service's own path
               (benchmarks/forms_bench.py). Goal: ≤ 100 µs median.
6. standards — every shipped standard over a synthetic national org tree (3.8 million
               units) on SQLite and PostgreSQL, load and evaluation measured apart
               (benchmarks/standards_bench.py). Goal: ≤ 10 s and ≤ 2 GB, load excluded.
7. impact    — a draft replayed over a generated log of 1,000,000 decisions on SQLite and
               PostgreSQL, as the API's job runs it, against in-process Pack.decide on the
               same inputs and the one-at-a-time path of before (benchmarks/impact_bench.py).
               Goal: ≥ 0.5 × Pack.decide's throughput, ≤ 20 s, ≤ 1 GB per process.
8. instructions — instructions per admission check and per /healthz in process, and per
               decision replayed by impact beside Pack.decide on the same decisions, counted by
               valgrind's callgrind (benchmarks/instructions_bench.py): the figure that does not
               move with the shared machine's load, for comparing a change against the last run.

Usage: python benchmarks/run.py [--quick] [--only anchors,compile,scaling,service,forms,standards,impact,instructions]
Results: printed, and written to benchmarks/results/latest.json.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generated_packs import SCALING_SIZES, pack_files, pack_source, tasks  # noqa: E402

RESULTS: dict = {}


def section(name: str, metrics: dict) -> None:
    RESULTS[name] = metrics
    print(f"\n== {name}")
    for key, value in metrics.items():
        print(f"  {key:<52} {value:.3f}" if isinstance(value, float) else f"  {key:<52} {value}")


# ---------------------------------------------------------------- 1. anchors
def anchors(quick: bool) -> None:
    anchors_dir = Path(os.environ.get("JICENG_ANCHORS", ROOT.parent / "shared" / "anchors"))
    script = anchors_dir / "bench_anchors.py"
    if not script.is_file():
        section("anchors", {"skipped": f"{script} not found (set JICENG_ANCHORS)"})
        return
    out = Path(tempfile.gettempdir()) / "jiceng_anchor_results.json"
    engines = "python,jiceng,zen,cedarpy,regopy,rule_engine,casbin"
    cmd = [sys.executable, str(script), "--engines", engines, "--json", str(out)] + (["--quick"] if quick else [])
    subprocess.run(cmd, cwd=ROOT, check=True)
    raw = json.loads(out.read_text(encoding="utf-8"))
    py = raw["single_ns"]["python"]
    metrics = {}
    for engine, runs in raw["single_ns"].items():
        ratios = [a / b for a, b in zip(runs, py)]
        metrics[f"{engine}: µs per decision (median)"] = statistics.median(runs) / 1e3
        metrics[f"{engine}: × python (median of per-run ratios)"] = statistics.median(ratios)
    disagreements = {k: v["single"]["disagreements"] for k, v in raw["agreement"].items()}
    metrics["disagreements with python"] = json.dumps(disagreements)
    ratio = metrics.get("jiceng: × python (median of per-run ratios)")
    metrics["goal jiceng ≤ 10× python"] = "met" if ratio is not None and ratio <= 10 else "NOT met"
    section("anchors", metrics)


# ---------------------------------------------------------------- 2. compile
def _cold(packs: dict, i: int) -> dict:
    """``packs`` with every file changed by trailing blanks: new digests, so
    no compile is served from the pack cache."""
    return {t: {name: text + " " * i for name, text in files.items()} for t, files in packs.items()}


def compile_time(quick: bool) -> None:
    from lark import Lark

    from jiceng.dsl.api import compile_pack
    from jiceng.dsl.loader import FileLoader, MemoryLoader
    from jiceng.dsl.parser import parse

    parse("", "warm-up.jc")  # the grammar is analysed once per process, like every run of the service
    reps = 3 if quick else 7

    shipped_loader = FileLoader(ROOT / "rule_packs")
    shipped = {t: {f.name: f.text for f in shipped_loader.load(t).files} for t in shipped_loader.tenants()}
    texts = [text for files in shipped.values() for text in files.values()]
    forms = ROOT / "form_schemas"
    parses, compiles = [], []
    for i in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        for text in texts:
            parse(text, "shipped.jc")
        t1 = time.perf_counter()
        loader = MemoryLoader(_cold(shipped, i + 1))
        for tenant in shipped:
            compile_pack(tenant, loader, forms=forms)
        t2 = time.perf_counter()
        parses.append(t1 - t0)
        compiles.append(t2 - t1)
    size = sum(len(t.encode()) for t in texts) // 1024
    section(f"compile (shipped packs: {len(shipped)} tenants, {len(texts)} files, {size} KB)", {
        "parse every file, ms (median)": statistics.median(parses) * 1e3,
        "compile each tenant + ancestors, cold, ms (median)": statistics.median(compiles) * 1e3,
    })

    src = pack_source(2000)
    totals, parses = [], []
    for i in range(reps):
        text = src + " " * i  # a new digest each time: no cache hit
        gc.collect()
        t0 = time.perf_counter()
        parse(text, "bench.jc")
        t1 = time.perf_counter()
        compile_pack("bench", MemoryLoader({"bench": {"pack.jc": text}}))
        t2 = time.perf_counter()
        parses.append(t1 - t0)
        totals.append(t2 - t1)
    stock = Lark((ROOT / "dsl" / "grammar.lark").read_text(encoding="utf-8"), parser="lalr",
                 lexer="contextual", propagate_positions=True)
    baseline = []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        stock.parse(src)
        baseline.append(time.perf_counter() - t0)
    total = statistics.median(totals)
    section("compile (2,000 rules, %d KB)" % (len(src.encode()) // 1024), {
        "whole compile, s (median)": total,
        "  of which parsing, s": statistics.median(parses),
        "baseline: Lark stock LALR parse tree only, s": statistics.median(baseline),
        "whole compile / stock Lark parse alone": total / statistics.median(baseline),
        "goal under 1 s": "met" if total < 1 else "NOT met",
    })


# ---------------------------------------------------------------- 3. scaling
def _indexable_pack(n: int) -> dict[str, str]:
    return pack_files(n)


def _unindexable_pack(n: int) -> dict[str, str]:
    return pack_files(n, indexable=False)


def _decide_us(pack, sample) -> float:
    decide = pack.decide
    best = []
    for _ in range(3):
        gc.collect()
        t0 = time.perf_counter()
        for task, target, history in sample:
            decide(task, target, history)
        best.append((time.perf_counter() - t0) / len(sample) * 1e6)
    return statistics.median(best)


def scaling(quick: bool) -> None:
    from jiceng.dsl.api import compile_pack
    from jiceng.dsl.loader import MemoryLoader
    sizes = list(SCALING_SIZES[:-1] if quick else SCALING_SIZES)
    metrics, curves = {}, {"indexed": [], "not indexed": []}
    for n in sizes:
        sample = tasks(2000 if quick else 5000, n)
        for label, make in (("indexed", _indexable_pack), ("not indexed", _unindexable_pack)):
            pack = compile_pack("bench", MemoryLoader({"bench": make(n)}))
            us = _decide_us(pack, sample)
            curves[label].append(us)
            metrics[f"{label}: {n:>5} rules, µs/decision"] = us
        metrics[f"  index on {n:>5} rules"] = ",".join(pack_index_paths(n)) or "-"
    for label, ys in curves.items():
        slope = (math.log(ys[-1]) - math.log(ys[0])) / (math.log(sizes[-1]) - math.log(sizes[0]))
        metrics[f"{label}: growth exponent (time ∝ rules^k), k"] = slope
        metrics[f"{label}: {sizes[-1]} rules / {sizes[0]} rules"] = ys[-1] / ys[0]
    k = metrics["indexed: growth exponent (time ∝ rules^k), k"]
    metrics["goal sub-linear where indexable (k < 1)"] = "met" if k < 1 else "NOT met"
    section("scaling", metrics)


def pack_index_paths(n: int) -> list[str]:
    from jiceng.dsl.api import compile_pack
    from jiceng.dsl.loader import MemoryLoader
    return compile_pack("bench", MemoryLoader({"bench": _indexable_pack(n)})).compiled.index_paths[:2]


# ---------------------------------------------------------------- 4. service
def service(quick: bool) -> None:
    import service_bench
    service_bench.main(report=section, quick=quick)


# ---------------------------------------------------------------- 5. forms
def forms(quick: bool) -> None:
    import forms_bench
    forms_bench.main(report=section, quick=quick)


# ---------------------------------------------------------------- 6. standards
def standards(quick: bool) -> None:
    import standards_bench
    standards_bench.main(report=section, quick=quick)


# ---------------------------------------------------------------- 7. impact
def impact(quick: bool) -> None:
    import impact_bench
    impact_bench.main(report=section, quick=quick)


# ---------------------------------------------------------------- 8. instructions
def instructions(quick: bool) -> None:
    import instructions_bench
    instructions_bench.main(report=section, quick=quick)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--only", default="anchors,compile,scaling,service,forms,standards,impact,instructions")
    args = ap.parse_args()
    steps = {"anchors": anchors, "compile": compile_time, "scaling": scaling, "service": service, "forms": forms,
             "standards": standards, "impact": impact, "instructions": instructions}
    for name in args.only.split(","):
        steps[name](args.quick)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(RESULTS, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nresults: {out / 'latest.json'}")


if __name__ == "__main__":
    main()
