"""A decision is dated by the calendar day in China (``dsl/clock.py``), not by the time zone the
server happens to keep. Each test puts this process in a time zone whose date differs from
China's right now (UTC-12 or UTC+14: one of the two differs at any hour), so code that asked
``date.today()`` would date the decision a day off — and, before 08:00 Beijing time on a UTC
server, put a pack effective today in force only at 08:00."""
from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from jiceng.dsl import clock

CHECK = "/api/v1/tenants/changsha/admission/check"
TASKS = "/api/v1/tenants/changsha/tasks"
PACKS = "/api/v1/tenants/changsha/packs"
ADMIN = ("changsha", "admin")


def _china_today() -> date:
    """Computed here without the module under test: UTC now, plus eight hours."""
    return (datetime.now(timezone.utc) + timedelta(hours=8)).date()


@pytest.fixture
def elsewhere(monkeypatch):
    """This process's local time zone set to one whose date is not China's; the local date."""
    for zone in ("Etc/GMT+12", "Etc/GMT-14"):  # POSIX signs: UTC-12, UTC+14
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        if date.today() != _china_today():
            break
    assert date.today() != _china_today(), "no time zone with another date: the tests would prove nothing"
    yield date.today()
    monkeypatch.undo()
    time.tzset()


def test_today_is_chinas_date_whatever_the_local_zone(elsewhere):
    assert clock.today() == _china_today() != elsewhere
    assert clock.now().utcoffset() == timedelta(hours=8)


def test_checks_and_assignments_are_dated_in_china(fresh_api, units, elsewhere):
    api, china = fresh_api, _china_today().isoformat()
    r = api.post(CHECK, ADMIN, json={"task": {"title": "招商", "category": "招商引资", "target_unit": units.cs_street}})
    assert r.status_code == 200 and r.json["decided_on"] == china and r.json["what_if"] is False
    task = api.post(TASKS, ADMIN, json={"task": {"title": "人口普查入户登记", "kind": "work",
                                                  "source_unit": units.cs_city}})
    assert task.status_code == 201, task.json
    r = api.post(f"{TASKS}/{task.json['id']}/assignments", ADMIN, json={"targets": [units.cs_communities[0]]})
    assert r.status_code == 200 and r.json["decided_on"] == china, r.json
    logged = api.get("/api/v1/tenants/changsha/decisions?limit=2", ("changsha", "auditor")).json["decisions"]
    assert {d["decided_on"] for d in logged} == {china}


def test_a_pack_is_in_force_from_its_date_in_china(fresh_api, elsewhere):
    """Published effective on the later of the two dates: in force now exactly when that is
    China's today (the local date ahead of China's would have put it in force a day early)."""
    api = fresh_api
    current = api.get(PACKS, ADMIN).json["in_force"]
    files = api.get(f"{PACKS}/{current}", ADMIN).json["files"]
    draft = api.post(PACKS, ADMIN, json={"files": {name: text + "\n# 新版\n" for name, text in files.items()}})
    assert draft.status_code == 201, draft.json
    effective = max(elsewhere, _china_today())
    published = api.publish("changsha", draft.json["number"], effective_from=effective.isoformat())
    assert published.status_code == 200, published.json
    expected = draft.json["number"] if effective == _china_today() else current
    assert api.get(PACKS, ADMIN).json["in_force"] == expected


def test_nothing_else_asks_the_local_zone_for_today():
    """``date.today()``, ``datetime.today()`` and ``datetime.now()`` without a zone read the
    machine's time zone: outside ``dsl/clock.py`` the code asks :mod:`jiceng.dsl.clock`."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[3]
    found = []
    for path in sorted([*root.glob("platform/**/*.py"), *root.glob("dsl/**/*.py")]):
        if path == root / "dsl" / "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            local = (node.func.attr == "today" and name in ("date", "datetime")) or (
                node.func.attr == "now" and name == "datetime" and not node.args and not node.keywords)
            if local:
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []


def test_stored_times_are_shown_in_beijing_time():
    assert clock.china_time("2026-11-30T17:30:05.123456Z", seconds=True) == "2026-12-01 01:30:05"
    assert clock.china_time(datetime(2026, 11, 30, 17, 30)) == "2026-12-01 01:30"  # no zone: stored in UTC
    new_york = timezone(timedelta(hours=-5))
    assert clock.china_time(datetime(2026, 11, 30, 12, 30, tzinfo=new_york)) == "2026-12-01 01:30"
    assert clock.china_time(None) == clock.china_time("") == ""


def test_the_console_lists_times_in_beijing_time(fresh_api, units):
    api = fresh_api
    task = api.post(TASKS, ADMIN, json={"task": {"title": "人口普查入户登记", "kind": "work", "source_unit": units.cs_city}})
    assert task.status_code == 201, task.json
    stored = datetime.fromisoformat(api.get(f"{TASKS}/{task.json['id']}", ADMIN).json["created_at"])
    stored = stored if stored.tzinfo else stored.replace(tzinfo=timezone.utc)
    api.log_in("changsha", "admin")
    page = api.get("/console/changsha/tasks").get_data(as_text=True)
    assert f"{stored.astimezone(timezone(timedelta(hours=8))):%Y-%m-%d %H:%M}" in page
    assert f"{stored.astimezone(timezone.utc):%Y-%m-%dT%H:%M}" not in page
