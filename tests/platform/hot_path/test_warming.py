"""Warming a runtime before it serves (platform/serving/warming.py): every tenant's pack chain in
force is compiled ahead, so a request compiles nothing; the time bound stops it between tenants;
gunicorn's master warms the preloaded app and then holds no database connection."""
from __future__ import annotations

from types import SimpleNamespace


from jiceng.dsl import clock
from jiceng.platform.packs.versions import PackCompiler
from jiceng.platform.runtime import Runtime
from jiceng.platform.serving import gunicorn_conf, warming


def _tenants_with_a_pack(rt: Runtime) -> list[str]:
    with rt.db.read() as s:
        out = []
        for tenant in sorted(rt.directory(s).by_code):
            try:
                rt.pack_for(s, tenant, clock.today())
                out.append(tenant)
            except Exception:  # noqa: BLE001 - a tenant without a pack in force
                pass
    return out


def test_after_warming_no_tenant_compiles_on_request(database, monkeypatch):
    expected = _tenants_with_a_pack(Runtime(database))
    assert expected, "the fixtures have tenants with packs"
    rt = Runtime(database)
    done = warming.warm(rt)
    assert done["tenants"] == len(expected) and done["left"] == 0

    def no_compile(*_a, **_k):
        raise AssertionError("compiled on request after warming")
    monkeypatch.setattr(PackCompiler, "_compile", no_compile)
    with rt.db.read() as s:
        for tenant in expected:  # a tenant without a pack of its own decides with its parent's
            assert rt.pack_for(s, tenant, clock.today()).pack is not None


def test_the_time_bound_stops_warming_between_tenants(database):
    rt = Runtime(database)
    ticks = iter(range(0, 1000, 10))  # every look at the clock: 10 s later
    done = warming.warm(rt, seconds=15, monotonic=lambda: next(ticks))
    assert done["tenants"] + done["skipped"] == 1 and done["left"] > 0
    cold = Runtime(database)
    assert warming.warm(cold, seconds=0)["tenants"] == 0


def test_gunicorn_master_warms_then_closes_its_connections(database, monkeypatch):
    rt = Runtime(database)
    app = SimpleNamespace(extensions={"jiceng": rt})
    server = SimpleNamespace(app=SimpleNamespace(callable=app), log=SimpleNamespace(info=lambda *a: None))
    seen = {}
    monkeypatch.setattr(warming, "warm", lambda runtime, seconds: seen.setdefault("warm", (runtime, seconds)))
    disposed = []
    monkeypatch.setattr(type(database.engine), "dispose", lambda self, close=True: disposed.append(close))
    monkeypatch.setenv("JICENG_WARM_SECONDS", "7")
    gunicorn_conf.warm_before_forking(server)
    assert seen["warm"] == (rt, 7.0) and disposed == [True]
    monkeypatch.setenv("JICENG_WARM_SECONDS", "0")
    seen.clear()
    gunicorn_conf.warm_before_forking(server)
    assert seen == {}


def test_a_failing_warm_up_does_not_stop_the_start(database, monkeypatch):
    rt = Runtime(database)
    server = SimpleNamespace(app=SimpleNamespace(callable=SimpleNamespace(extensions={"jiceng": rt})),
                             log=SimpleNamespace(info=lambda *a: None))

    def broken(*_a):
        raise RuntimeError("database down")
    monkeypatch.setattr(warming, "warm", broken)
    gunicorn_conf.warm_before_forking(server)  # logged, not raised
    # the master warms on starting, once the port is known to be free
    server.cfg = SimpleNamespace(address=[])
    seen = []
    monkeypatch.setattr(gunicorn_conf, "warm_before_forking", seen.append)
    gunicorn_conf.settings()["on_starting"](server)
    assert seen == [server]
