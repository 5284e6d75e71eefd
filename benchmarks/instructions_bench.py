"""Instructions per request, counted by valgrind's callgrind: the admission check and Flask's
trivial ``/healthz``, in process (the app called as a WSGI callable, no server, no client).

Requests per second on this shared 2-core machine move with whatever else runs; the number of
instructions a request executes does not (callgrind counts them, it does not time them: the same
total twice, whether or not the other core is busy). So this is the figure to compare a change
against: run it before and after, or read the two side by side — the check's count over
``/healthz``'s is the in-process part of the service bench's cost ratio (the server's own cost per
request, gunicorn's HTTP handling, comes on top of both and is not counted here).

Each request kind runs in its own ``valgrind --tool=callgrind`` process on a database prepared
beforehand (outside valgrind: loading the repository's data there would take minutes). Counting
is switched on only inside ``itertools.starmap`` (``--toggle-collect=starmap_next``), which drives
the measured requests and nothing else: imports, app creation and 30 warm-up requests are not
counted. Python runs ~50× slower under valgrind: the default 100 requests of each kind take
about two minutes.

The same for issue 15's impact replay (on SQLite): instructions per logged decision replayed
(:meth:`Replayer.replay_rows` on rows already read: the decoding of each distinct JSON text, the
draft's ``Pack.outcome``, the tally), of which ``Pack.outcome`` alone, beside ``Pack.decide`` on the
same decisions decoded beforehand (the impact bench's baseline), over a generated log (``impact_bench.phase_setup``): every other
row warms the caches, the rows between are counted — both halves of the log's year, so the
packs of both versions, and the variants their rules compile on first use, are compiled before
the count (one-time work a million-row job amortizes; the first half warming and the second
counted put the second version's compile inside the count). Reading the rows is not counted (the driver's work, and on
PostgreSQL the server's, in another process). Wall-time A/B of a change to the replay or to the
compiled rules could not tell 10 % apart on this machine; this count can.

Run ``python benchmarks/instructions_bench.py [--requests N] [--decisions N] [--only sqlite,postgresql,impact]``,
or ``main(report)`` from ``benchmarks/run.py`` (``--only instructions``). Skipped, and says so,
where valgrind is not installed (Debian package ``valgrind``).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import impact_bench  # noqa: E402
import service_bench  # noqa: E402

CHECK = "/api/v1/tenants/changsha/admission/check"


def _requests(config: dict, kind: str, count: int) -> None:
    """Inside valgrind: build the app on the prepared database, warm it, then run ``count``
    requests of ``kind`` through ``itertools.starmap`` (the only code counted)."""
    os.environ["JICENG_DATABASE_URL"] = config["url"]
    if config["schema"]:
        os.environ["JICENG_DATABASE_SCHEMA"] = config["schema"]
    from werkzeug.test import EnvironBuilder
    from jiceng.platform.app import create_app
    app = create_app()
    body = json.dumps({"task": config["task"]}).encode()
    headers = {"Authorization": f"Bearer {config['token']}", "Content-Type": "application/json"}

    def environ() -> dict:
        if kind == "check":
            return EnvironBuilder(path=CHECK, method="POST", data=body, headers=headers).get_environ()
        return EnvironBuilder(path="/healthz").get_environ()

    def call(env: dict) -> None:
        status: list = []
        answer = app(env, lambda s, _h, _e=None: status.append(s))
        b"".join(answer)
        if not status[0].startswith("200"):
            raise SystemExit(f"{kind}: {status[0]}")

    for _ in range(30):
        call(environ())
    prepared = [(environ(),) for _ in range(count)]  # built before counting starts
    list(itertools.starmap(call, prepared))


def _decisions(config: dict, kind: str, count: int) -> None:
    """Inside valgrind: read the generated log, warm on every other of its ``2 × count`` rows, then
    replay the ``count`` between (``kind`` ``replay``), or ``Pack.decide`` them (``decide``), or only take their
    ``Pack.outcome`` (``outcome``: the part of a replay that is the draft's rules), through
    ``itertools.starmap`` (the only code counted)."""
    from sqlalchemy import select
    from jiceng.platform.db.engine import Database
    from jiceng.platform.db.models import PackVersion
    from jiceng.platform.impact import jobs, jsontext
    from jiceng.platform.impact.replaying import Replayer, read_range
    from jiceng.platform.impact.tally import Tally
    from jiceng.platform.impact.window import window
    from jiceng.platform.runtime import Runtime
    db = Database(config["url"])
    rt = Runtime(db)
    with db.read() as session:
        v = session.execute(select(PackVersion).where(PackVersion.tenant_code == impact_bench.TENANT,
                                                      PackVersion.number == config["draft_number"])).scalar_one()
        spec = jobs.make_spec(session, rt, impact_bench.TENANT, v, window())
    replayer = Replayer(db, spec)
    with db.engine.connect() as conn:
        rows = [row for chunk in read_range(conn, spec, 1, 2 * count) for row in chunk]
    warm, counted = rows[0:2 * count:2], rows[1:2 * count:2]
    if kind == "replay":
        tally = Tally()
        replayer.replay_rows(warm, tally)
        list(itertools.starmap(replayer.replay_rows, [(counted[i:i + 500], tally) for i in range(0, count, 500)]))
        return

    def decoded(row: tuple) -> tuple:
        inp = jsontext.loads(row[5])
        return (replayer.recorded(row[8].decode(), row[3]).pack, inp.get("task") or {}, jsontext.loads(row[6]),
                jsontext.loads(row[7]), inp.get("source") or {}, row[3])

    def evaluate(pack, task, target, history, source, on) -> None:
        if kind == "outcome":
            pack.outcome(task, target, history, source, on)
        else:
            pack.decide(task, target, history, source=source, today=on)

    for args in map(decoded, warm):
        evaluate(*args)
    list(itertools.starmap(evaluate, [decoded(row) for row in counted]))


def _count(config_file: Path, kind: str, count: int, tmp: Path, wait: bool = True):
    """The instructions ``--inside config_file kind count`` executes where counted (``wait=False``:
    started, and a function returning them once it ends)."""
    out = tmp / f"callgrind.{kind}.out"
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=starmap_next",
                             f"--callgrind-out-file={out}", sys.executable, __file__, "--inside", str(config_file),
                             kind, str(count)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def result() -> int:
        if proc.wait() != 0:
            raise RuntimeError(f"{kind}: valgrind exited with {proc.returncode}")
        totals = re.search(r"^totals:\s*(\d+)", out.read_text(), re.MULTILINE)
        if totals is None:
            raise RuntimeError(f"no totals in {out}")
        return int(totals.group(1))
    return result() if wait else result


def measure(kind: str, count: int) -> dict:
    """Instructions per /healthz and per check on a freshly loaded database of ``kind``."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with service_bench.database(kind, tmp) as (db, url, schema):
            sample = service_bench.sample(db)
            config = {"url": url, "schema": schema, "token": service_bench.token(db), "task": sample["task"]}
            config_file = tmp / "config.json"
            config_file.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
            db.dispose()
            healthz = _count(config_file, "healthz", count, tmp) / count
            check = _count(config_file, "check", count, tmp) / count
    return {"requests_counted": count, "healthz_instructions": round(healthz),
            "check_instructions": round(check), "check_vs_healthz": round(check / healthz, 2)}


def measure_impact(count: int) -> dict:
    """Instructions per decision replayed by impact, per ``Pack.outcome`` and per ``Pack.decide`` of
    the same decisions, over a generated SQLite log of ``2 × count`` decisions (the three counted at
    once: a count does not depend on what else runs)."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite:///{tmp / 'impact.db'}"
        setup = impact_bench.phase_setup(url, None, 2 * count, 15)
        config_file = tmp / "config.json"
        config_file.write_text(json.dumps({"url": url, "draft_number": setup["draft_number"]}), encoding="utf-8")
        kinds = ("replay", "outcome", "decide")
        pending = {kind: _count(config_file, kind, count, tmp, wait=False) for kind in kinds}
        replay, outcome, decide = (pending[kind]() / count for kind in kinds)
    return {"decisions_counted": count, "replay_instructions_per_decision": round(replay),
            "of_which_pack_outcome": round(outcome), "pack_decide_instructions_per_decision": round(decide),
            "pack_decide / replay (impact's throughput ratio, in instructions)": round(decide / replay, 3)}


def main(report: Optional[Callable[[str, dict], None]] = None, quick: bool = False,
         only: str = "sqlite,postgresql,impact", count: Optional[int] = None, decisions: Optional[int] = None) -> dict:
    """Measure each database kind in ``only``, and impact's replay (``impact``); ``report(name,
    metrics)`` as each finishes."""
    results: dict = {}
    count = count or (30 if quick else 100)
    decisions = decisions or (300 if quick else 2000)
    for kind in only.split(","):
        if shutil.which("valgrind") is None:
            metrics = {"skipped": "valgrind is not installed (Debian package valgrind)"}
        elif kind == "postgresql" and not service_bench.pg_available():
            metrics = {"skipped": f"PostgreSQL at {service_bench.pg_url()} does not answer"}
        elif kind == "impact":
            metrics = measure_impact(decisions)
        else:
            metrics = measure(kind, count)
        results[f"instructions_{kind}"] = metrics
        if report is not None:
            report(f"instructions_{kind}", metrics)
    return results


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--inside":
        inside = _decisions if sys.argv[3] in ("replay", "outcome", "decide") else _requests
        inside(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")), sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 requests of each kind")
    parser.add_argument("--requests", type=int, help="requests of each kind counted (default 100)")
    parser.add_argument("--decisions", type=int, help="logged decisions counted by impact (default 2,000)")
    parser.add_argument("--only", default="sqlite,postgresql,impact")
    args = parser.parse_args()
    main(lambda name, m: print(f"{name}: {json.dumps(m, ensure_ascii=False)}", flush=True),
         quick=args.quick, only=args.only, count=args.requests, decisions=args.decisions)
