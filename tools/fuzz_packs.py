"""Mutation fuzzing of the shipped rule packs: ``make fuzz`` (outside CI; time-bounded).

Each input is one shipped pack (``rule_packs/``) with one of its files mutated 1–4 times —
spans deleted, duplicated or truncated, lines swapped or spliced in from another pack, words
renamed, tokens inserted, numbers made huge or tiny, identifiers made long, raw bytes and
control characters, piles of ``(`` or ``not`` — then read the way ``jiceng lint`` and the
service read it: parse → check → compile along the tenant registry's chain; whatever compiles
also runs its pack tests and decides a few tasks. Every Nth input is also sent to the service's
draft endpoint (``POST /api/v1/tenants/<t>/packs``, in process, on a throw-away SQLite database).

An input passes when it ends in a pack or in diagnostics that each carry a known code, a zh-CN
message and a position, and the endpoint answers 201 or a JSON error (never 500). Anything else
is a crash: its input and traceback are written to ``--crashes``, and the run exits 1.

    python tools/fuzz_packs.py [--inputs 50000] [--seconds 3600] [--seed 1] [--draft-every 50]

Prints the inputs run, how they ended and the number of uncaught exceptions.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TOKENS = ["rule", "when", "then", "reject", "require", "warn", "list", "kind", "param", "standard", "over",
          "measure", "expect", "export", "test", "given", "on", "fires", "not", "and", "or", "in", "contains",
          "per", "any(", "all(", "count(", "sum(", "{", "}", "(", ")", "[", "]", ",", ":", "..", "=", "==",
          "!=", "<=", ">", "-", "+", "*", "/", "%", '"', '""', '"x"', "\\", "#", "\n", "task.", "target.",
          "source.", "history.", "人", "户", "万元", "平方米", "2024-13-45", "2024-02-29", "0000-00-00",
          "true", "false", "null", "floor", "ceiling", "narrow", "fixed", "free", "overridable", "unknown",
          "cite", "disable", "remove", "requires", "extends", "version", "\u3000", "\ufeff", "（", "）", "＝"]
NUMBERS = ["0", "1", "18", "3.5", "1" + "0" * 15, "1" + "0" * 16, "9" * 4301, "1" + "0" * 309 + ".5",
           "0." + "0" * 400 + "1", "0.000001", "0.0000001", "1000000000000000.5", "00000000000000000001"]


# ---------------------------------------------------------------------- inputs
def shipped_packs() -> dict[str, dict[str, str]]:
    from jiceng.dsl.loader import FileLoader
    loader = FileLoader(ROOT / "rule_packs")
    return {t: {f.name: f.text for f in loader.load(t).files} for t in loader.tenants()}


def _random_text(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:  # raw bytes, read leniently as a file from disk would be
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))).decode("utf-8", "surrogateescape")
    if kind == 1:  # control and format characters
        return "".join(rng.choice("\x00\x01\x07\x0b\x0c\x1b\x7f\u200b\u200e\u202e\u2028\ufffe\ud800")
                       for _ in range(rng.randrange(1, 8)))
    if kind == 2:  # any code point
        return "".join(chr(rng.randrange(0x20, 0x30000)) for _ in range(rng.randrange(1, 16)))
    return rng.choice(["名" * rng.randrange(1, 6000), "a" * rng.randrange(1, 6000), "_" + "字" * 300])


def mutate(text: str, rng: random.Random, others: list[str]) -> str:
    """``text`` with 1–4 random edits."""
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(text))
        op = rng.randrange(12)
        if op == 0:
            text = text[:pos] + text[pos + rng.randint(1, 40):]
        elif op == 1:
            text = text[:pos] + rng.choice(TOKENS) + text[pos:]
        elif op == 2:
            text = text[:pos] + text[pos:pos + rng.randint(1, 80)] + text[pos:]
        elif op == 3:
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif op == 4:
            words = re.findall(r"[^\W\d]\w*", text)
            if words:
                old, new = rng.choice(words), rng.choice(words)
                text = re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", new.replace("\\", "\\\\"), text, count=rng.randint(1, 3))
        elif op == 5:
            numbers = list(re.finditer(r"\d+(?:\.\d+)?", text))
            if numbers:
                m = rng.choice(numbers)
                text = text[:m.start()] + rng.choice(NUMBERS) + text[m.end():]
        elif op == 6:
            text = text[:pos] + _random_text(rng) + text[pos:]
        elif op == 7:
            pile = rng.choice(["(", "not ", "- ", "[", "{", "any(x in y: "]) * rng.choice([10, 70, 5000, 12000])
            text = text[:pos] + pile + text[pos:]
        elif op == 8:
            text = text[:pos]
        elif op == 9:
            donor = rng.choice(others).split("\n")
            line = rng.choice(donor)
            lines = text.split("\n")
            lines.insert(rng.randrange(len(lines) + 1), line)
            text = "\n".join(lines)
        elif op == 10:
            text = text[:pos] + rng.choice(TOKENS) + " " + rng.choice(TOKENS) + text[pos:]
        else:
            words = re.findall(r"[^\W\d]\w*", text)
            if words:  # a very long identifier where a name was
                w = rng.choice(words)
                text = text.replace(w, w * rng.choice([50, 500, 3000]), 1)
    return text


# ---------------------------------------------------------------------- one input
class Contract(Exception):
    """An input ended neither in a pack nor in well-formed diagnostics."""


def _check_diagnostics(diags) -> None:
    from jiceng.dsl.diagnostics import MESSAGES
    for d in diags:
        if d.code not in MESSAGES:
            raise Contract(f"unknown code {d.code}")
        if not re.search(r"[\u4e00-\u9fff]", d.message or ""):
            raise Contract(f"{d.code}: message not zh-CN: {d.message!r}")
        if d.span is None or d.span.line < 0 or d.span.column < 0:
            raise Contract(f"{d.code}: no position")


TASKS = [{"title": "协助入户调查", "item_code": "X01", "role": "assist"},
         {"title": "台账", "kind": "assessment", "category": "拆迁拆违"},
         {"title": "x"}]


def compile_one(tenant: str, packs: dict, forms: Path, parent_of) -> str:
    """parse → check → compile ``tenant`` from ``packs``; tests and decisions when it compiles.
    Returns how it ended; raises on a crash."""
    from jiceng.dsl.api import check_pack
    from jiceng.dsl.loader import MemoryLoader
    from jiceng.dsl.resolver import PackNotFound
    from jiceng.dsl.testing import run_pack_tests
    try:
        pack, diags, _sources = check_pack(tenant, MemoryLoader(packs), forms=forms, parent_of=parent_of)
    except PackNotFound:
        return "no pack"
    _check_diagnostics(diags)
    if pack is None:
        if not any(d.severity == "error" for d in diags):
            raise Contract("no pack and no error")
        return "diagnostics"
    report = run_pack_tests(pack)
    for task in TASKS:
        pack.decide(task, {"level": "community"}, {name: None for name in pack.history_needed})
    return "compiled, tests pass" if report.passed else "compiled, tests fail"


class DraftEndpoint:
    """The service's draft endpoint in process, on a throw-away SQLite database with the repository's data."""

    def __init__(self, workdir: Path):
        from jiceng.platform.app import create_app
        from jiceng.platform.auth.tokens import issue
        from jiceng.platform.db.engine import Database
        from jiceng.platform.tenants.bootstrap import run_init
        from jiceng.platform.tenants.directory import TenantDirectory
        self.db = Database(f"sqlite:///{workdir / 'fuzz.db'}")
        run_init(self.db, ROOT)
        self.client = create_app({"DATABASE": self.db, "SECRET_KEY": "fuzz"}).test_client()
        self.tokens = {}
        with self.db.write() as session:
            directory = TenantDirectory.load(session)
            for tenant in directory.by_code:
                self.tokens[tenant] = issue(session, directory, tenant, "admin", label="fuzz")[0]

    def post(self, tenant: str, files: dict) -> str:
        token = self.tokens.get(tenant)
        if token is None:
            return "endpoint: no tenant"
        try:
            body = json.dumps({"files": files}, ensure_ascii=False).encode("utf-8", "surrogatepass")
        except UnicodeEncodeError:
            body = json.dumps({"files": files}).encode()
        r = self.client.post(f"/api/v1/tenants/{tenant}/packs", data=body, content_type="application/json",
                             headers={"Authorization": f"Bearer {token}"})
        if r.status_code >= 500:
            raise Contract(f"draft endpoint answered {r.status_code}: {r.get_data(as_text=True)[:300]}")
        if r.status_code != 201:
            error = (r.get_json(silent=True) or {}).get("error")
            if not error or set(error) != {"code", "message", "details"}:
                raise Contract(f"draft endpoint answered {r.status_code} without the error body")
        return f"endpoint {r.status_code}"


# ---------------------------------------------------------------------- the run
def parse_shipped_files_once(packs: dict) -> None:
    """Each input mutates one file, but the resolver parses the whole chain: the shipped files,
    unchanged, are parsed once and their result reused (parsing is a pure function of the text
    and the file name; the nodes are immutable). Every mutated text is parsed afresh."""
    from jiceng.dsl import parser, resolver
    shipped = {text for files in packs.values() for text in files.values()}
    done: dict = {}

    def parse(text, file="<string>"):
        if text not in shipped:
            return parser.parse(text, file)
        key = (text, file)
        if key not in done:
            done[key] = parser.parse(text, file)
        module, diags = done[key]
        return module, list(diags)

    resolver.parse = parse


def run_slice(seed: int, inputs: int, seconds: float, draft_every: int, crashes_dir: Path) -> tuple[int, Counter, int]:
    """One process's share: ``inputs`` inputs from ``seed`` (or fewer, after ``seconds``).
    Returns (inputs run, outcomes, crashes)."""
    from jiceng.dsl.loader import tenant_registry
    rng = random.Random(seed)
    packs = shipped_packs()
    parse_shipped_files_once(packs)
    forms, parent_of = ROOT / "form_schemas", tenant_registry(ROOT / "tenants")
    texts = [t for files in packs.values() for t in files.values()]
    targets = [(tenant, name) for tenant, files in packs.items() for name in files]
    outcomes: Counter = Counter()
    crashes = n = 0
    with tempfile.TemporaryDirectory(prefix="jiceng-fuzz-") as workdir:
        endpoint = DraftEndpoint(Path(workdir)) if draft_every else None
        start = last_report = time.monotonic()
        while n < inputs and time.monotonic() - start < seconds:
            n += 1
            tenant, name = rng.choice(targets)
            mutated = mutate(packs[tenant][name], rng, texts)
            trial = {**packs, tenant: {**packs[tenant], name: mutated}}
            try:
                outcomes[compile_one(tenant, trial, forms, parent_of)] += 1
                if endpoint is not None and n % draft_every == 0:
                    outcomes[endpoint.post(tenant, trial[tenant])] += 1
            except Exception as e:  # noqa: BLE001 - every escape is what this run looks for
                crashes += 1
                outcomes[f"CRASH {type(e).__name__}"] += 1
                where = crashes_dir / f"crash-{seed}-{n}"
                where.mkdir(parents=True, exist_ok=True)
                (where / name.replace("/", "_")).write_text(mutated, encoding="utf-8", errors="surrogateescape")
                (where / "traceback.txt").write_text(f"tenant {tenant}, file {name}\n" + traceback.format_exc(),
                                                     encoding="utf-8")
            if time.monotonic() - last_report > 60:
                last_report = time.monotonic()
                print(f"  [seed {seed}] {n} inputs, {crashes} crashes, {time.monotonic() - start:.0f} s", flush=True)
    return n, outcomes, crashes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=50_000, help="stop after this many inputs (all processes)")
    ap.add_argument("--seconds", type=float, default=3600, help="stop after this long")
    ap.add_argument("--seed", type=int, default=1, help="process k uses seed + k")
    ap.add_argument("--jobs", type=int, default=2, help="processes")
    ap.add_argument("--draft-every", type=int, default=50, help="send every Nth input to the draft endpoint (0: never)")
    ap.add_argument("--crashes", type=Path, default=Path(tempfile.gettempdir()) / "jiceng-fuzz-crashes")
    args = ap.parse_args(argv)
    jobs = max(1, args.jobs)
    shares = [args.inputs // jobs + (1 if k < args.inputs % jobs else 0) for k in range(jobs)]
    started = time.monotonic()
    work = [(args.seed + k, shares[k], args.seconds, args.draft_every, args.crashes) for k in range(jobs)]
    if jobs == 1:
        results = [run_slice(*work[0])]
    else:
        import multiprocessing
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            results = pool.starmap(run_slice, work)
    n = sum(r[0] for r in results)
    crashes = sum(r[2] for r in results)
    outcomes: Counter = sum((r[1] for r in results), Counter())
    print(f"fuzz: {n} inputs in {time.monotonic() - started:.0f} s ({jobs} processes, seeds {args.seed}–"
          f"{args.seed + jobs - 1}), {crashes} uncaught exceptions")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome:<24} {count}")
    if crashes:
        print(f"inputs and tracebacks: {args.crashes}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
