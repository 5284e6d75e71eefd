"""Forms benchmark: validating a typical task against the tenant's task form, per validator.

The task form is Hunan's (``form_schemas/hunan/task.schema.json``: ``allOf`` with a ``$ref`` to the
national form in another file), the task carries every field of SPEC §5. Each validator is compiled
once and reused, as the service does; times are per call, median and p99 over many calls:

* ``jsonschema`` (pure Python, Draft202012Validator with a ``referencing`` registry);
* ``jsonschema-rs`` (Rust), ``is_valid`` then ``iter_errors`` only for invalid data;
* ``fastjsonschema`` (generates Python code) — draft-07 at most: it stops at the first error and
  ignores 2020-12 keywords such as ``unevaluatedProperties`` (checked below);
* the service's own path, ``validation.problems`` (cache lookup, jsonschema-rs, zh-CN messages).

Goal (issue 5): the service validates a typical task in ≤ 100 µs (median).

Run ``python benchmarks/forms_bench.py [--quick]`` from the repository root, or call
``main(report)`` where ``report(name, metrics)`` receives the measurements (``benchmarks/run.py``).
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / "form_schemas"
BASE = "https://jiceng.invalid/form_schemas/"

TASK = {"title": "协助开展城乡居民医保参保登记", "item_code": "HN_XZ_01", "category": "医疗保障", "kind": "work",
        "role": "assist", "source_unit": "430102000000", "source_department": "区医保局",
        "target_unit": "430102001001", "funding_provided": True, "work_conditions_provided": True,
        "one_vote_veto": False, "unified_deployment": True, "approval": None, "deadline": "2024-06-30"}
BAD_TASK = dict(TASK, kind="meeting", deadline="2024-13-01", funding_provided="yes", title="")


def _documents() -> dict[str, dict]:
    return {f"{BASE}{p.parent.name}/{p.name}": json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(FORMS.glob("*/*.schema.json"))}


def _per_call_us(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    """(median, p99) microseconds per call."""
    for _ in range(min(200, calls)):
        fn()
    gc.collect()
    gc.disable()
    try:
        clock = time.perf_counter_ns
        times = []
        for _ in range(calls):
            t0 = clock()
            fn()
            times.append(clock() - t0)
    finally:
        gc.enable()
    times.sort()
    return statistics.median(times) / 1e3, times[int(len(times) * 0.99) - 1] / 1e3


def _jsonschema(docs: dict, root_uri: str):
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
    registry = Registry().with_resources((u, Resource.from_contents(d, default_specification=DRAFT202012))
                                         for u, d in docs.items())
    root = dict(docs[root_uri], **{"$id": root_uri})
    v = Draft202012Validator(root, registry=registry, format_checker=FormatChecker())
    return lambda data: [(list(e.absolute_path), e.validator, e.validator_value) for e in v.iter_errors(data)]


def _jsonschema_rs(docs: dict, root_uri: str):
    import jsonschema_rs
    registry = jsonschema_rs.Registry([(u, d) for u, d in docs.items() if u != root_uri])
    v = jsonschema_rs.Draft202012Validator(dict(docs[root_uri], **{"$id": root_uri}), registry=registry,
                                           validate_formats=True, offline=True)

    def run(data):
        if v.is_valid(data):
            return []
        return [(e.instance_path, e.kind.name, e.kind.as_dict()) for e in v.iter_errors(data)]
    return run


def _fastjsonschema(docs: dict, root_uri: str):
    import fastjsonschema
    v = fastjsonschema.compile(dict(docs[root_uri], **{"$id": root_uri}), handlers={"https": docs.__getitem__})

    def run(data):
        try:
            v(data)
            return []
        except fastjsonschema.JsonSchemaValueException as e:  # the first error only
            return [(e.path, e.rule, e.rule_definition)]
    return run


def _service(docs: dict, root_uri: str):
    from jiceng.platform.forms import validation
    from jiceng.platform.forms.store import FormSnapshot, StoredForm
    forms = {}
    for i, (uri, doc) in enumerate(docs.items(), 1):
        tenant, name = uri[len(BASE):].split("/")
        forms[(tenant, name[: -len(".schema.json")])] = StoredForm(i, tenant, name[: -len(".schema.json")], 1, doc)
    snapshot = FormSnapshot(len(forms), forms)
    form = forms[("hunan", "task")]
    return lambda data: validation.problems(form, snapshot, data, prefix="/task")


def _honours_unevaluated(make, docs: dict) -> Optional[bool]:
    """Whether the validator refuses a field Changsha's grid form does not declare (2020-12
    ``unevaluatedProperties: false`` over an ``allOf`` with a ``$ref``)."""
    uri = f"{BASE}changsha/grid.schema.json"
    plain = {u: d for u, d in docs.items() if "x-param" not in json.dumps(d, ensure_ascii=False)}
    plain[uri] = {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}}],
                  "unevaluatedProperties": False}
    try:
        return bool(make(plain, uri)({"a": "x", "stray": 1}))
    except Exception:  # noqa: BLE001 - a validator that cannot compile 2020-12 at all
        return None


def main(report: Optional[Callable[[str, dict], None]] = None, quick: bool = False) -> dict:
    """Measure every validator; ``report(name, metrics)`` receives the section (printed when None)."""
    docs = _documents()
    root = f"{BASE}hunan/task.schema.json"
    calls = 2000 if quick else 20000
    metrics: dict = {}
    candidates = {"jsonschema": _jsonschema, "jsonschema-rs": _jsonschema_rs, "fastjsonschema": _fastjsonschema}
    medians = {}
    for name, make in candidates.items():
        try:
            run = make(docs, root)
        except Exception as e:  # noqa: BLE001 - report, do not crash the benchmark
            metrics[f"{name}: unavailable"] = f"{type(e).__name__}: {e}"[:120]
            continue
        assert run(TASK) == [], (name, run(TASK))
        valid, valid_p99 = _per_call_us(lambda run=run: run(TASK), calls)
        invalid, _ = _per_call_us(lambda run=run: run(BAD_TASK), max(calls // 10, 200))
        medians[name] = valid
        metrics[f"{name}: valid task, µs (median)"] = valid
        metrics[f"{name}: valid task, µs (p99)"] = valid_p99
        metrics[f"{name}: invalid task (4 errors), µs (median)"] = invalid
        metrics[f"{name}: errors reported for the invalid task"] = len(run(BAD_TASK))
        metrics[f"{name}: honours 2020-12 unevaluatedProperties"] = str(_honours_unevaluated(make, docs))
    service = _service(docs, root)
    assert service(TASK) == []
    s_valid, s_p99 = _per_call_us(lambda: service(TASK), calls)
    s_invalid, _ = _per_call_us(lambda: service(BAD_TASK), max(calls // 10, 200))
    metrics["service validation.problems (jsonschema-rs + zh-CN): valid task, µs (median)"] = s_valid
    metrics["service validation.problems: valid task, µs (p99)"] = s_p99
    metrics["service validation.problems: invalid task with zh-CN messages, µs (median)"] = s_invalid
    if "jsonschema" in medians and "jsonschema-rs" in medians:
        metrics["jsonschema / jsonschema-rs (valid task)"] = medians["jsonschema"] / medians["jsonschema-rs"]
    metrics["goal ≤ 100 µs median (service)"] = "met" if s_valid <= 100 else "NOT met"
    if report is not None:
        report("forms (task validation)", metrics)
    else:
        print("== forms (task validation)")
        for key, value in metrics.items():
            print(f"  {key:<78} {value:.3f}" if isinstance(value, float) else f"  {key:<78} {value}")
    return metrics


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer calls")
    ap.add_argument("--json", help="also write the metrics to this file")
    args = ap.parse_args()
    result = main(quick=args.quick)
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
