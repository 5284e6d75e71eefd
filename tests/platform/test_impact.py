"""Impact as a batch job: replay is the service's decision (differential, on random logs made by the
service across pack versions and form versions), the result does not depend on the number of
workers, windows select what they say, and the API's job can be started, polled, paged, exported
and cancelled."""
from __future__ import annotations

import csv
import io
import json
import random
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from jiceng.dsl import clock
from jiceng.platform.auth.tokens import Principal
from jiceng.platform.db.models import Decision, PackVersion
from jiceng.platform.decisions.replay import recompute
from jiceng.platform.impact import batch, jobs, replaying
from jiceng.platform.impact.window import window
from jiceng.platform.runtime import Runtime
from tests.platform.impact_jobs import wait

FIXTURES = Path(__file__).parent / "fixtures"
PACKS = "/api/v1/tenants/changsha/packs"
ADMIN = ("changsha", "admin")
CHECK = "/api/v1/tenants/changsha/admission/check"
ORIGINAL = (FIXTURES / "rule_packs" / "changsha" / "pack.jc").read_text(encoding="utf-8")
FORM = json.loads((FIXTURES / "form_schemas" / "changsha" / "task.schema.json").read_text(encoding="utf-8"))
RULE = '''
rule {name} "{name}"
  cite S003C "一"
  when target.level == {level} and task.category == "{category}"
  then reject
'''
UNITS = ("430102001000", "430102002000", "430102001001", "430102001002", "430102002001", "430102001001001")
ITEMS = ("", "Z01", "X01", "HN01", "NOPE")
KINDS = ("work", "assessment", "plaque")
CATEGORIES = ("招商引资", "拆迁拆违", "文明创建", "环境整治")


def random_checks(api, rng: random.Random, n: int) -> None:
    """``n`` admission checks the service decides and logs: registry units and what-if targets."""
    for _ in range(n):
        task = {"title": f"任务{rng.randrange(1000)}", "item_code": rng.choice(ITEMS), "kind": rng.choice(KINDS),
                "category": rng.choice(CATEGORIES)}
        if rng.random() < 0.5:
            task["funding_provided"] = rng.random() < 0.5
        if rng.random() < 0.3:
            task["one_vote_veto"] = True
        body = {"task": task}
        if rng.random() < 0.8:
            task["target_unit"] = rng.choice(UNITS)
        else:
            body["target"] = {"level": rng.choice(["street", "community", "grid"])}
            body["history"] = {"assessments_this_year": rng.choice([0, 1, 2, 3, None])}
        r = api.post(CHECK, ("changsha", "department"), json=body)
        assert r.status_code == 200, r.json


def new_version(api, extra: str, publish: bool) -> int:
    r = api.post(PACKS, ADMIN, json={"files": {"pack.jc": ORIGINAL + extra}})
    assert r.status_code == 201, r.json
    number = r.json["number"]
    if publish:
        current = api.get(PACKS, ADMIN).json["in_force"]
        r = api.publish("changsha", number, expected_current=current)
        assert r.status_code == 200, r.json
    return number


def random_log(api, rng: random.Random) -> str:
    """A log across two published versions and two task-form versions; the text of a draft rule."""
    random_checks(api, rng, 25)
    first = RULE.format(name="甲", level=rng.choice(["street", "community"]), category=rng.choice(CATEGORIES))
    new_version(api, first, publish=True)
    random_checks(api, rng, 25)
    form = {**FORM, "properties": {**FORM["properties"], "note": {"type": "string", "maxLength": 20}}}
    assert api.put("/api/v1/tenants/changsha/forms/task", ("changsha", "designer"), json={"schema": form}).status_code in (200, 201)
    random_checks(api, rng, 25)
    return first + RULE.format(name="乙", level=rng.choice(["street", "community", "grid"]),
                               category=rng.choice(CATEGORIES))


def spec_for(db, number: int, draft: bool = True, **kw):
    rt = Runtime(db)
    with db.read() as session:
        v = session.execute(select(PackVersion).where(PackVersion.tenant_code == "changsha",
                                                      PackVersion.number == number)).scalar_one()
        return rt, v, jobs.make_spec(session, rt, "changsha", v, window(**kw), draft=draft)


def collect(db, spec, workers: int = 1):
    changes = []
    tally = batch.run(db, spec, workers, changes=changes.extend)
    return tally, {c[0]: c for c in changes}


@pytest.mark.parametrize("seed", [1, 2])
def test_replay_is_the_decision_the_service_made_and_the_reference_replay(fresh_api, fresh_database, seed):
    api, db = fresh_api, fresh_database
    rng = random.Random(seed)
    extra = random_log(api, rng)
    with db.read() as session:
        logged = session.execute(select(Decision).order_by(Decision.id)).scalars().all()
    assert {e.pack["chain"][-1]["number"] for e in logged} == {1, 2}  # decided under both versions
    assert len({e.pack["task_form"]["id"] for e in logged}) == 2      # and both task-form versions

    # with the recorded versions: every decision the service logged, again
    _rt, _v, spec = spec_for(db, 1, draft=False)
    tally, changes = collect(db, spec)
    assert (tally.replayed, tally.changed, tally.rules_changed, sum(tally.errors.values())) == (len(logged), 0, 0, 0)
    assert changes == {}

    # with a draft: exactly what the one-at-a-time reference replay computes
    number = new_version(api, extra, publish=False)
    rt, v, spec = spec_for(db, number)
    tally, changes = collect(db, spec)
    expected = {}
    with db.read() as session:
        for e in logged:
            d = recompute(session, rt, e, substitute=v)
            before, after = [r["rule"] for r in e.reasons], [r["rule"] for r in d["reasons"]]
            if d["decision"] != e.outcome or before != after:
                expected[e.id] = (e.outcome, d["decision"], [r for r in after if r not in before],
                                  [r for r in before if r not in after])
    assert expected, "the draft should change something"
    assert {i: (c[5], c[6], c[7], c[8]) for i, c in changes.items()} == expected
    assert tally.changed == sum(1 for b, a, _x, _y in expected.values() if a != b)
    assert tally.replayed == len(logged)


def test_a_replay_reads_the_log_as_it_is_written(fresh_api, fresh_database):
    """The replay reads the JSON columns as their UTF-8 bytes (binary COPY, or cast to BLOB on SQLite):
    they decode to what the same rows read as text decode to, in the same order, in chunks."""
    api, db = fresh_api, fresh_database
    random_checks(api, random.Random(3), 12)
    _rt, _v, spec = spec_for(db, 1, draft=False)
    with db.engine.connect() as conn:
        as_text = conn.execute(replaying.range_statement(spec, 1, 10**9)).all()
        chunks = list(replaying.read_range(conn, spec, 1, 10**9))
    as_read = [row for chunk in chunks for row in chunk]
    assert len(as_text) == 12 and len(chunks) == 1
    assert all(isinstance(v, str) for row in as_text for v in row[5:])
    assert all(isinstance(v, bytes) for row in as_read for v in row[5:])
    decoded = [(*row[:5], *(json.loads(v) for v in row[5:])) for row in as_read]
    assert decoded == [(*row[:5], *(json.loads(v) for v in row[5:])) for row in as_text]
    assert any("任务" in json.dumps(row[5], ensure_ascii=False) for row in decoded)  # UTF-8 beyond ASCII


def test_the_result_does_not_depend_on_the_number_of_workers(fresh_api, fresh_database, monkeypatch):
    api, db = fresh_api, fresh_database
    rng = random.Random(7)
    number = new_version(api, random_log(api, rng), publish=False)
    _rt, _v, spec = spec_for(db, number, examples=2)
    monkeypatch.setattr(batch, "RANGE_ROWS", 9)
    monkeypatch.setattr(batch, "plan", lambda d, t, total, top, _plan=batch.plan: _plan(d, t, total, top, 9))
    monkeypatch.setattr(batch, "POOL_MIN_ROWS", 0)
    one, changes_one = collect(db, spec, 1)
    two, changes_two = collect(db, spec, 2)
    assert len(batch.plan(db, spec.tenants, *batch.count(db, spec.tenants))) > 4
    assert one.summary() == two.summary() and changes_one == changes_two
    assert one.replayed == 75 and any(one.examples.values())


def test_windows_select_dates_units_and_rules(fresh_api, fresh_database):
    api, db = fresh_api, fresh_database
    rng = random.Random(3)
    number = new_version(api, random_log(api, rng), publish=False)
    with db.read() as session:
        logged = session.execute(select(Decision).order_by(Decision.id)).scalars().all()
    _rt, _v, everything = spec_for(db, number)
    all_tally, all_changes = collect(db, everything)
    street = "430102001000"  # its communities and their grids are below it
    below = {street, "430102001001", "430102001002", "430102001003", "430102001001001", "430102001001002"}
    _rt, _v, spec = spec_for(db, number, units=[street])
    tally, changes = collect(db, spec)
    assert tally.considered == sum(1 for e in logged if e.target.get("code") in below)
    assert changes == {i: c for i, c in all_changes.items() if c[2] in below}
    rule = "乙"
    _rt, _v, spec = spec_for(db, number, rules=[rule])
    tally, changes = collect(db, spec)
    assert changes == {i: c for i, c in all_changes.items() if rule in c[7] + c[8]}
    assert tally.considered <= all_tally.considered
    today = clock.today().isoformat()
    _rt, _v, spec = spec_for(db, number, date_from="2000-01-01", date_to="2000-12-31")
    assert collect(db, spec)[0].considered == 0
    _rt, _v, spec = spec_for(db, number, date_from=today, date_to=today)
    assert collect(db, spec)[0].considered == sum(1 for e in logged if e.decided_on == today)


def test_the_api_runs_a_job_and_keeps_its_result_with_the_version(fresh_api, fresh_database):
    api = fresh_api
    rng = random.Random(5)
    extra = random_log(api, rng)
    level, category = re.findall(r'target.level == (\w+) and task.category == "(\S+)"', extra)[-1]  # rule 乙
    unit = {"street": "430102001000", "community": "430102001001", "grid": "430102001001001"}[level]
    formula = api.post(CHECK, ("changsha", "department"), json={"task": {
        "title": "=1+2", "category": category, "kind": "work", "item_code": "Z01", "target_unit": unit}}).json
    number = new_version(api, extra, publish=False)
    r = api.post(f"{PACKS}/{number}/impact", ADMIN, json={"examples": 1})
    assert r.status_code == 202, r.json
    job = wait(api, number, r.json)
    assert job["status"] == "done" and job["progress"]["done"] == job["progress"]["total"] == 76
    summary = job["summary"]
    assert summary["replayed"] == 76 and summary["changed"] + summary["rules_changed"] > 0
    assert all(len(v) == 1 for v in summary["examples"].values())
    assert sum(m["replayed"] for m in summary["by_month"]) == 76
    pages, after = [], None
    while True:
        q = f"?limit=2&after={after}" if after is not None else "?limit=2"
        page = api.get(f"{PACKS}/{number}/impact/{job['id']}/changes{q}", ADMIN).json
        pages += page["changes"]
        after = page["next_after"]
        if after is None:
            break
    assert len(pages) == summary["changed"] + summary["rules_changed"]
    assert [c["decision_id"] for c in pages] == sorted(c["decision_id"] for c in pages)
    text = api.get(f"{PACKS}/{number}/impact/{job['id']}/changes.csv", ADMIN).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == list(jobs.CSV_COLUMNS) and [int(r[0]) for r in rows[1:]] == [c["decision_id"] for c in pages]
    [mine] = [r for r in rows[1:] if int(r[0]) == formula["decision_id"]]
    assert mine[jobs.CSV_COLUMNS.index("title")] == "'=1+2" and "乙" in mine[jobs.CSV_COLUMNS.index("rules_added")]
    assert [c["title"] for c in pages if c["decision_id"] == formula["decision_id"]] == ["=1+2"]  # JSON as it is
    listed = api.get(f"{PACKS}/{number}/impact", ADMIN).json["jobs"]
    assert [j["id"] for j in listed] == [job["id"]] and listed[0]["summary"] == summary
    assert api.post(f"{PACKS}/{number}/impact/{job['id']}/cancel", ADMIN, json={}).json["error"]["code"] == \
        "impact_job_finished"
    assert api.get(f"{PACKS}/1/impact/{job['id']}", ADMIN).status_code == 404
    assert api.get(f"{PACKS}/{number}/impact", ("changsha", "department")).status_code == 403


def test_bad_windows_are_refused_with_their_place(fresh_api):
    r = fresh_api.post(f"{PACKS}/1/impact", ADMIN, json={"from": "2024-05-01", "to": "2024-04-01"})
    assert r.status_code == 422 and r.json["error"]["code"] == "impact_window_invalid"
    assert r.json["error"]["details"][0]["path"] == "/to"
    r = fresh_api.post(f"{PACKS}/1/impact", ADMIN, json={"units": ["999999999999"]})
    assert r.status_code == 422 and r.json["error"]["details"][0]["path"] == "/units/0"


def test_one_live_job_per_tenant_and_cancel_stops_it(fresh_api, fresh_database):
    api, db = fresh_api, fresh_database
    random_checks(api, random.Random(9), 10)
    rt = Runtime(db)
    admin = Principal(0, "changsha", "admin", None)
    job, spec = jobs.create(rt, admin, "changsha", 1, window())
    r = api.post(f"{PACKS}/1/impact", ADMIN, json={})
    assert r.status_code == 409 and r.json["error"]["code"] == "impact_job_running"
    assert api.post(f"{PACKS}/1/impact/{job['id']}/cancel", ADMIN, json={}).json["cancel_requested"] is True
    jobs.execute(db, job["id"], spec, 1)
    done = jobs.read(rt, admin, "changsha", 1, job["id"])
    assert done["status"] == "cancelled" and done["summary"] is None
    r = api.get(f"{PACKS}/1/impact/{job['id']}/changes", ADMIN)
    assert r.status_code == 409 and r.json["error"]["code"] == "impact_job_not_done"


def test_the_cli_runs_the_job_and_writes_the_changes(fresh_api, fresh_database, monkeypatch, tmp_path):
    from click.testing import CliRunner
    from jiceng.platform.cli import main
    from jiceng.platform.cli import service as commands
    api, db = fresh_api, fresh_database
    number = new_version(api, random_log(api, random.Random(11)), publish=False)
    monkeypatch.setattr(commands, "_database", lambda: db)
    out = tmp_path / "changes.csv"
    result = CliRunner().invoke(main, ["impact", "changsha", str(number), "--json", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    _rt, _v, spec = spec_for(db, number)
    tally, changes = collect(db, spec)
    assert {k: summary[k] for k in ("replayed", "changed", "rules_changed")} == \
        {"replayed": tally.replayed, "changed": tally.changed, "rules_changed": tally.rules_changed}
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8").lstrip("\ufeff"))))
    assert [int(r[0]) for r in rows[1:]] == sorted(changes)
    bad = CliRunner().invoke(main, ["impact", "changsha", str(number), "--from", "2024-13-01"])
    assert bad.exit_code == 2 and "impact_window_invalid" in bad.output
