"""Helpers for the rule-language tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # reference_evaluator, pack_strategies

from jiceng.dsl.api import compile_pack  # noqa: E402
from jiceng.dsl.diagnostics import CompileError  # noqa: E402
from jiceng.dsl.loader import MemoryLoader  # noqa: E402

FIXTURES = HERE.parent / "fixtures" / "packs"


def build(files: dict, tenant: str | None = None, **kw):
    """Compile packs held in memory: ``{tenant: source or {file: source}}``."""
    packs = {t: (v if isinstance(v, dict) else {"pack.jc": v}) for t, v in files.items()}
    tenant = tenant or list(packs)[-1]
    return compile_pack(tenant, MemoryLoader(packs), **kw)


def errors_of(files: dict, tenant: str | None = None, **kw) -> list:
    """The diagnostics a wrong pack produces (fails if it compiles)."""
    with pytest.raises(CompileError) as info:
        build(files, tenant, **kw)
    return info.value.diagnostics


@pytest.fixture
def fixtures_root() -> Path:
    return FIXTURES
