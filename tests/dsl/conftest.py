"""Helpers for the rule-language tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # reference_evaluator, pack_strategies

from jiceng.dsl.api import compile_pack  # noqa: E402
from jiceng.dsl.diagnostics import CompileError  # noqa: E402
from jiceng.dsl.loader import FileLoader, MemoryLoader, tenant_registry  # noqa: E402

FIXTURES = HERE.parent / "fixtures" / "packs"
ROOT = HERE.parents[1]


def build(files: dict, tenant: str | None = None, **kw):
    """Compile packs held in memory: ``{tenant: source or {file: source}}``."""
    packs = {t: (v if isinstance(v, dict) else {"pack.jc": v}) for t, v in files.items()}
    tenant = tenant or list(packs)[-1]
    return compile_pack(tenant, MemoryLoader(packs), **kw)


def fresh_changsha(note: str):
    """The shipped changsha pack, compiled anew (a comment of its own, ``note``, keeps it out of
    the cache of compiled packs): none of its code compiled on first use yet."""
    packs = ROOT / "rule_packs"
    files = {p.relative_to(packs / "changsha").as_posix(): p.read_text(encoding="utf-8")
             for p in FileLoader(packs).files_of("changsha")}
    files["pack.jc"] += f"\n# {note}\n"
    return compile_pack("changsha", MemoryLoader({"changsha": files}, fallback=FileLoader(packs)),
                        forms=ROOT / "form_schemas", parent_of=tenant_registry(ROOT / "tenants"))


def errors_of(files: dict, tenant: str | None = None, **kw) -> list:
    """The diagnostics a wrong pack produces (fails if it compiles)."""
    with pytest.raises(CompileError) as info:
        build(files, tenant, **kw)
    return info.value.diagnostics


@pytest.fixture
def fixtures_root() -> Path:
    return FIXTURES
