"""Soak of the real server: ``make soak`` (outside CI; time-bounded).

``jiceng serve`` (gunicorn with the service's settings, two workers) on a fresh database loaded
with the repository's data, SQLite and — when it answers — PostgreSQL, for ``--seconds`` each.
``--clients`` threads keep one keep-alive connection each and send, at random: admission checks
(most; a third of them varied: fields left out, explained, what-if), tasks filed and assigned to
one to three communities, and reads of the decision log.

Reported per database: requests by kind, requests per second, latency p50/p95/p99/max (ms),
errors (any answer that is not the expected status, any connection failure), the workers'
resident memory at the start and the end, lines of the server's log that are tracebacks or
worker restarts, and afterwards: every answered check and assignment is in the decision log and
every chain verifies. Exit status 1 when there were errors, lost decisions or a broken chain.

    python benchmarks/soak.py [--seconds 120] [--clients 16] [--json FILE]
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests" / "platform" / "reliability"))

from live_server import CHECK, Client, LiveServer  # noqa: E402
from service_bench import TENANT, database, pg_available, sample, token  # noqa: E402


class Tally:
    """Latencies and errors by kind of request, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = defaultdict(list)
        self.acked: set[int] = set()

    def ok(self, kind: str, seconds: float, decision_ids=()) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.acked.update(decision_ids)

    def error(self, kind: str, what) -> None:
        with self.lock:
            self.errors[kind].append(what)


def _varied_check(rng: random.Random, task: dict, communities: list) -> dict:
    """A check whose task leaves out some of its fields (the rules reading them are unknown: their
    three-valued code is compiled on first use, by whichever thread needs it), sometimes explained,
    sometimes a what-if about a unit of some level: the soak's way to threads racing in a pack."""
    varied = {k: v for k, v in task.items() if k in ("title", "source_unit") or rng.random() < 0.6}
    body = {"task": varied, "explain": rng.random() < 0.3}
    if rng.random() < 0.7:
        varied["target_unit"] = rng.choice(communities)
    else:
        body["target"] = {"level": rng.choice(["street", "community", "township", "village"])}
    return body


def _client(port: int, tokens: dict, s_: dict, stop: threading.Event, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    # a department files and assigns (a township token may assign but not create tasks: the permission table)
    checker, filer, auditor = (Client(port, tokens[r], timeout=30) for r in ("department", "department", "auditor"))
    communities = s_["communities"]
    task = dict(s_["task"], funding_provided=True, work_conditions_provided=True, source_unit=s_["city"],
                source_department="市民政局")
    task.pop("target_unit")

    def timed(kind, client, method, path, body, expected):
        start = time.perf_counter()
        try:
            status, answer = client.request(method, path, body)
        except (OSError, http.client.HTTPException) as e:
            tally.error(kind, f"{type(e).__name__}: {e}")
            return None
        if status != expected:
            error = (answer or {}).get("error", {})  # its message names the cause (a rule, an exception)
            tally.error(kind, (status, error.get("code"), error.get("message")))
            return None
        return time.perf_counter() - start, answer

    base = f"/api/v1/tenants/{TENANT}"
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.75:
            body = {"task": dict(s_["task"], target_unit=rng.choice(communities))}
            if roll < 0.25:  # varied: facts left out, explained, what-if — code compiled on first use
                body = _varied_check(rng, task, communities)
            got = timed("check", checker, "POST", CHECK.format(tenant=TENANT), body, 200)
            if got:
                tally.ok("check", got[0], [got[1]["decision_id"]])
        elif roll < 0.95:
            got = timed("task", filer, "POST", f"{base}/tasks", {"task": task}, 201)
            if not got:
                continue
            tally.ok("task", got[0])
            targets = rng.sample(communities, rng.randint(1, min(3, len(communities))))
            got = timed("assignment", filer, "POST", f"{base}/tasks/{got[1]['id']}/assignments",
                        {"targets": targets}, 200)
            if got:
                tally.ok("assignment", got[0], [r["decision_id"] for r in got[1]["results"]])
        else:
            got = timed("log read", auditor, "GET", f"{base}/decisions?limit=20", None, 200)
            if got:
                tally.ok("log read", got[0])
    for c in (checker, filer, auditor):
        c.close()


def _rss_mb(pids: list[int]) -> list[float]:
    out = []
    for pid in pids:
        try:
            line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS"))
            out.append(round(int(line.split()[1]) / 1024, 1))
        except (OSError, StopIteration):
            out.append(float("nan"))
    return out


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def soak(kind: str, seconds: float, clients: int) -> dict:
    from sqlalchemy import func, select
    from jiceng.platform.db.models import Decision
    from jiceng.platform.decisions.log import verify
    with tempfile.TemporaryDirectory(prefix="jiceng-soak-") as tmp, database(kind, Path(tmp)) as (db, _url, _schema):
        s_ = sample(db)
        tokens = {"department": token(db), "auditor": token(db, "auditor")}
        server = LiveServer(db, Path(tmp), workers=2).start(timeout=60)
        tally, stop = Tally(), threading.Event()
        try:
            rss_start = _rss_mb(server.worker_pids())
            threads = [threading.Thread(target=_client, args=(server.port, tokens, s_, stop, tally, k))
                       for k in range(clients)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            time.sleep(seconds)
            stop.set()
            for t in threads:
                t.join(timeout=60)
            elapsed = time.perf_counter() - started
            rss_end = _rss_mb(server.worker_pids())
        finally:
            server.stop()
        log = server.log_text()
        with db.read() as session:
            ids = sorted(tally.acked)
            stored = sum(session.execute(select(func.count()).select_from(Decision)
                                         .where(Decision.id.in_(ids[i:i + 5000]))).scalar_one()
                         for i in range(0, len(ids), 5000))
            broken = [p.to_dict() for r in verify(session) for p in r.problems]
    all_latency = [x for v in tally.latency.values() for x in v]
    result = {
        "database": kind, "seconds": round(elapsed, 1), "clients": clients, "workers": 2,
        "requests": len(all_latency), "requests_per_s": round(len(all_latency) / elapsed, 1),
        "by_kind": {k: {"count": len(v), "p50_ms": _ms(v, 0.5), "p95_ms": _ms(v, 0.95), "p99_ms": _ms(v, 0.99),
                        "max_ms": round(max(v) * 1000, 1), "mean_ms": round(statistics.fmean(v) * 1000, 1)}
                    for k, v in sorted(tally.latency.items())},
        "errors": {k: {"count": len(v), "first": [str(x) for x in v[:3]]} for k, v in tally.errors.items()},
        "worker_rss_mb": {"start": rss_start, "end": rss_end},
        "server_log_tracebacks": log.count("Traceback"),
        # gunicorn logs each worker it boots: more than the two at start means one died and was replaced
        "worker_restarts": max(0, log.count("Booting worker") - 2),
        "decisions_acknowledged": len(ids), "decisions_in_log": stored, "chain_problems": broken,
    }
    result["ok"] = (not tally.errors and stored == len(ids) and not broken and not result["server_log_tracebacks"])
    return result


def _print(r: dict) -> None:
    print(f"\nsoak on {r['database']}: {r['seconds']} s, {r['clients']} clients, {r['workers']} workers: "
          f"{r['requests']} requests ({r['requests_per_s']}/s), "
          f"{sum(e['count'] for e in r['errors'].values())} errors")
    print(f"  {'kind':<12}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind, k in r["by_kind"].items():
        print(f"  {kind:<12}{k['count']:>8}{k['p50_ms']:>9}{k['p95_ms']:>9}{k['p99_ms']:>9}{k['max_ms']:>9}")
    for kind, e in r["errors"].items():
        print(f"  errors in {kind}: {e['count']}, e.g. {e['first']}")
    print(f"  worker RSS MB: start {r['worker_rss_mb']['start']}, end {r['worker_rss_mb']['end']}; "
          f"server log: {r['server_log_tracebacks']} tracebacks, {r['worker_restarts']} worker restarts")
    print(f"  decisions: {r['decisions_acknowledged']} acknowledged, {r['decisions_in_log']} of them in the log; "
          f"chain problems: {len(r['chain_problems'])}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=120, help="per database")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    kinds = ["sqlite"] + (["postgresql"] if pg_available() else [])
    if len(kinds) == 1:
        print("PostgreSQL does not answer: soaking SQLite only")
    results = []
    for kind in kinds:
        results.append(soak(kind, args.seconds, args.clients))
        _print(results[-1])
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
