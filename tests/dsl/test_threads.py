"""A compiled pack is shared by a worker's threads, and compiles some of its code on first use: a
rule's three-valued variant (when a fact it reads is missing) and the explain function. Two
threads must not run the compiler at once: the soak found a check answered 422
``decision_input_invalid`` ("dictionary changed size during iteration"), because one thread
copied the compiler's constants while another added to them."""
from __future__ import annotations

import sys
import threading

from conftest import fresh_changsha

HISTORY = {"assessments_this_year": 0, "inspections_this_year": 0, "tasks_this_month": 0, "plaques": 0}
TASK = {"title": "老年人优待证初审", "item_code": "QG-XZ-01", "kind": "work", "role": "assist",
        "category": "招商引资", "funding_provided": True, "work_conditions_provided": True}
LEVELS = ("street", "community", "township", "village")
THREADS = 32


def _inputs(k: int) -> tuple[dict, dict]:
    """Thread ``k``'s question: the task without one of its fields, to a unit of one level —
    each leaves other rules unknown, so each compiles other three-valued code."""
    dropped = list(TASK)[k % len(TASK)]
    return {f: v for f, v in TASK.items() if f != dropped or f == "title"}, {"level": LEVELS[k % len(LEVELS)]}


def _answer(pack, k: int):
    task, target = _inputs(k)
    d = pack.decide(task, target, HISTORY, explain=k % 5 == 0)
    return d.decision, d.fired, d.unknown


def test_threads_deciding_on_a_fresh_pack_compile_its_lazy_code_one_at_a_time():
    reference = fresh_changsha("threads 0")
    expected = {k: _answer(reference, k) for k in range(THREADS)}
    assert any(unknown for _d, _f, unknown in expected.values())  # the three-valued code is used
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as CPython will: a race shows at once
    try:
        for n in range(1, 5):
            pack = fresh_changsha(f"threads {n}")
            start, problems, answers = threading.Barrier(THREADS), [], {}

            def decide(k: int) -> None:
                start.wait()
                try:
                    answers[k] = _answer(pack, k)
                except Exception as e:  # noqa: BLE001 - what a race raises is the finding
                    problems.append(f"{type(e).__name__}: {e}")

            threads = [threading.Thread(target=decide, args=(k,)) for k in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert problems == []
            assert answers == expected
    finally:
        sys.setswitchinterval(previous)
