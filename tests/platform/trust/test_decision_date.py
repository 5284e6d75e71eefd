"""A decision that errors names the failing rule, found by re-running the decision at its own date.

A rule that only runs after 2030 calls a function that fails. Decided for 2031-01-01, the
error must name that rule; the retry that locates it ran at today's date, where that rule
does not call the function, and named the last rule it evaluated instead.
"""
from __future__ import annotations

from datetime import date

import pytest

from jiceng.dsl.api import compile_pack
from jiceng.dsl.functions import default_registry
from jiceng.dsl.loader import MemoryLoader
from jiceng.platform.admission.deciding import decide
from jiceng.platform.errors import Invalid


def test_the_failing_rule_is_located_at_the_decisions_date():
    registry = default_registry().copy()

    @registry.function("外部核验", "(str) -> bool")
    def check_externally(text):
        raise RuntimeError("外部服务不可用")

    pack = compile_pack("demo", MemoryLoader({"demo": {"pack.jc": (
        "pack demo\nrule 远期核验 when today >= 2030-01-01 and 外部核验(task.title) then warn\n"
        "rule 其他 when task.title == \"y\" then warn\n")}}),
        registry=registry)
    with pytest.raises(Invalid) as info:
        decide(pack, {"title": "x"}, {}, {}, None, date(2031, 1, 1))
    assert info.value.code == "decision_input_invalid"
    assert "远期核验" in info.value.message and "其他" not in info.value.message
