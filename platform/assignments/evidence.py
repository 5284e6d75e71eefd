"""Evidence: what a pending assignment is given to meet the requirements it waits for.

A task is immutable once filed (a changed task is a new task). A conditional
assignment waits for requirement codes (``funding``, ``approval`` …); a PATCH
supplies, for some of those codes, the evidence that meets them, and nothing
else. Each code's evidence has fixed fields and establishes the facts the rules
read — the re-decision reads the task as filed plus these facts:

========================  =====================================  ==================================
code                      evidence                               facts it establishes
========================  =====================================  ==================================
``funding``               ``amount`` (元, > 0), ``source``       ``task.funding_provided = true``
``work_conditions``       ``description``                        ``task.work_conditions_provided = true``
``approval``              ``document_no`` (批准文号)              ``task.approval = document_no``
``filing``                ``filing_no`` (备案号)                  ``task.filing = filing_no``
``staffing``              ``count`` (增配人数, ≥ 1)               ``task.staffing_added = count``
``information`` and       ``facts``: ``{field: value}`` for      those task fields
codes a pack declares     fields the task as filed left empty
========================  =====================================  ==================================

Evidence accumulates over PATCHes (the latest evidence for a code replaces the
earlier one); it is kept in the decision log, with the input of each decision.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

from jiceng.platform.errors import Invalid

MAX_TEXT = 200
MAX_COUNT = 10_000


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # "text" | "amount" | "count"


@dataclass(frozen=True)
class Evidence:
    """The evidence fields of one requirement code and the task facts they establish."""

    fields: tuple[Field, ...]
    facts: Callable[[Mapping], dict]


#: the requirement codes of SPEC §4 whose evidence the platform knows
KINDS: dict[str, Evidence] = {
    "funding": Evidence((Field("amount", "经费金额(元)", "amount"), Field("source", "经费来源", "text")),
                        lambda e: {"funding_provided": True}),
    "work_conditions": Evidence((Field("description", "工作条件说明", "text"),),
                                lambda e: {"work_conditions_provided": True}),
    "approval": Evidence((Field("document_no", "批准文号", "text"),), lambda e: {"approval": e["document_no"]}),
    "filing": Evidence((Field("filing_no", "备案号", "text"),), lambda e: {"filing": e["filing_no"]}),
    "staffing": Evidence((Field("count", "增配人数", "count"),), lambda e: {"staffing_added": e["count"]}),
}
#: evidence of ``information`` and of the codes packs declare: the values of facts the task lacks
FACTS = "facts"


def problems(evidence, waiting: list[str], known: Mapping[str, str], task: Mapping) -> list[dict]:
    """Every problem of a PATCH's ``evidence`` as ``{path, message}`` (JSON pointers).

    ``waiting`` are the codes the assignment waits for, ``known`` every requirement code of
    the pack (code -> label), ``task`` the task as filed.
    """
    if not isinstance(evidence, dict) or not evidence:
        return [{"path": "/evidence", "message": "应为非空对象:{要求代码: 证明材料},如 "
                                                  '{"funding": {"amount": 20000, "source": "区财政"}}'}]
    found = []
    for code, given in evidence.items():
        path = f"/evidence/{code}"
        if code not in KINDS and code not in known and code != "information":
            found.append({"path": path, "message": f"未知的要求代码 {code}"})
        elif code not in waiting:
            found.append({"path": path, "message": f"该下派记录不等待 {code}(等待的是:{'、'.join(waiting) or '无'})"})
        elif not isinstance(given, dict):
            found.append({"path": path, "message": f"应为对象:{_shape(code)}"})
        elif code in KINDS:
            found += _field_problems(path, KINDS[code], given)
        else:
            found += _facts_problems(path, given, task)
    return found


def facts(evidence: Mapping[str, Mapping]) -> dict:
    """The task facts that (valid) ``evidence`` establishes."""
    out: dict = {}
    for code, given in evidence.items():
        out.update(KINDS[code].facts(given) if code in KINDS else given[FACTS])
    return out


def _shape(code: str) -> str:
    if code in KINDS:
        return "{" + ", ".join(f"{f.name}: {f.label}" for f in KINDS[code].fields) + "}"
    return "{facts: {任务字段: 取值}}"


def _field_problems(path: str, kind: Evidence, given: dict) -> list[dict]:
    names = [f.name for f in kind.fields]
    found = [{"path": f"{path}/{k}", "message": f"未知字段,应为:{'、'.join(names)}"} for k in given if k not in names]
    for f in kind.fields:
        message = _value_problem(f, given.get(f.name)) if f.name in given else f"缺少{f.label}"
        if message:
            found.append({"path": f"{path}/{f.name}", "message": message})
    return found


def _value_problem(f: Field, value) -> Optional[str]:
    if f.kind == "amount":
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
              and value > 0)
        return None if ok else f"{f.label}应为大于 0 的数字"
    if f.kind == "count":
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_COUNT
        return None if ok else f"{f.label}应为 1 到 {MAX_COUNT} 之间的整数"
    ok = isinstance(value, str) and value.strip() and len(value) <= MAX_TEXT
    return None if ok else f"{f.label}应为非空文字(不超过 {MAX_TEXT} 字)"


def _facts_problems(path: str, given: dict, task: Mapping) -> list[dict]:
    found = [{"path": f"{path}/{k}", "message": f"未知字段,应为:{FACTS}"} for k in given if k != FACTS]
    values = given.get(FACTS)
    if not isinstance(values, dict) or not values:
        return found + [{"path": f"{path}/{FACTS}", "message": "应为非空对象:{任务字段: 取值},填写任务缺少的事实"}]
    for name, value in values.items():
        if task.get(name) is not None:
            found.append({"path": f"{path}/{FACTS}/{name}",
                          "message": f"任务已填写 {name},不能修改(任务一经建立不可修改)"})
        elif value is None:
            found.append({"path": f"{path}/{FACTS}/{name}", "message": "应给出取值"})
    return found


def require_valid(evidence, waiting: list[str], known: Mapping[str, str], task: Mapping) -> None:
    """:func:`problems`, raised as 422 ``invalid_evidence``."""
    found = problems(evidence, waiting, known, task)
    if found:
        raise Invalid("invalid_evidence", f"补充的条件证明材料不符合要求(共 {len(found)} 处问题)", found)
