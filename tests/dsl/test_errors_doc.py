"""docs/errors.md documents every diagnostic code with an example that triggers it.

Each ``## CODE`` section has one example: a ``jc`` block (``# file: name``
lines split it into several packs; the last one is compiled) or a ``python``
block that sets ``codes``. The test proves each example yields its code, and
that every code the compiler can emit is documented.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import build, errors_of
from jiceng.dsl.api import check_pack
from jiceng.dsl.diagnostics import MESSAGES
from jiceng.dsl.functions import default_registry
from jiceng.dsl.loader import MemoryLoader
from jiceng.dsl.pack import DecisionInputError

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
SECTION = re.compile(r"^## ([EW]\d{3}) (.+?)$(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)
BLOCK = re.compile(r"```(jc|python)\n(.*?)```", re.DOTALL)


def sections() -> dict[str, tuple[str, str]]:
    out = {}
    for code, _title, body in SECTION.findall(DOC.read_text(encoding="utf-8")):
        m = BLOCK.search(body)
        assert m, f"{code} has no example"
        out[code] = (m.group(1), m.group(2))
    return out


def codes_of_jc(source: str) -> list[str]:
    packs, current = {}, "demo"
    for line in source.splitlines(keepends=True):
        m = re.match(r"# file: (\S+)", line)
        if m:
            current = m.group(1)
            packs[current] = ""
            continue
        packs[current] = packs.get(current, "") + line
    _pack, diagnostics, _ = check_pack(current, MemoryLoader({t: {"pack.jc": s} for t, s in packs.items()}))
    return [d.code for d in diagnostics]


def test_every_code_is_documented():
    assert set(sections()) == set(MESSAGES)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_documented_example_triggers_its_code(code):
    kind, example = sections()[code]
    if kind == "jc":
        codes = codes_of_jc(example)
    else:
        scope = {"build": build, "errors_of": errors_of, "DecisionInputError": DecisionInputError,
                 "default_registry": default_registry}
        exec(compile(example, f"docs/errors.md:{code}", "exec"), scope)  # noqa: S102 - our own docs
        codes = scope["codes"]
    assert code in codes, f"{code}: the example produced {codes}"
