"""What rules may read about a task's sending department, derived from the registry.

Until the registry, rules read booleans the sender ticked itself (``task.department_duty``,
``task.department_assessment``): the party a rule restrains was the one asked whether it
applies. These facts come from the registry instead (SPEC §4.5: where a registry can know a
fact, the sender is not asked for it). A fact that cannot be known is ``None`` (unknown),
never ``False``: a decision must not admit because a fact was missing.
"""
from __future__ import annotations

from typing import Mapping, Optional

from jiceng.platform.departments.registry import DepartmentInfo

#: task kinds that are 考核评比 or 督查检查 (SPEC §5 ``kind``)
ASSESSMENT_KINDS = ("assessment", "inspection")


def as_a_whole_facts() -> dict:
    """The facts of a task that names no department: the task form has the 党委和政府 send it as a
    whole (统一部署的主体), so it is no 职能部门's own duty and no 职能部门's own assessment.
    (That a task names no department is the sender's word: the registry checks a name given,
    it cannot see a name left out.)"""
    return {"registered": False, "code": None, "name": None, "unit": None, "kind": "government",
            "own_duty": False, "own_assessment": False}


def department_facts(task: Mapping, department: Optional[DepartmentInfo]) -> dict:
    """The facts about ``task``'s sending ``department`` (None: named, but not registered — as
    when the registry dropped it after the task was filed; a task naming no department at all
    gets :func:`as_a_whole_facts`).

    - ``registered``: the department is in the registry;
    - ``code``, ``name``, ``unit``, ``kind``: its registry entry (None when not registered);
    - ``own_duty``: the task's ``item_code`` is one of the department's 清单 items, or its
      ``category`` one of its 事项类别. Unknown when the task leaves out a field the
      department's 权责清单 could match and nothing else matched;
    - ``own_assessment``: the task is an assessment or inspection and the department a
      functional one (a 职能部门 running its own 考核评比 or 督查检查, not a 党委政府 body's
      unified one). Unknown when the task has no ``kind``.
    Pure: no I/O.
    """
    if department is None:
        return {"registered": False, "code": None, "name": None, "unit": None, "kind": None,
                "own_duty": None, "own_assessment": None}
    return {"registered": True, "code": department.code, "name": department.name, "unit": department.unit,
            "kind": department.kind,
            "own_duty": _either(_listed(task.get("item_code"), department.items),
                                _listed(task.get("category"), department.categories)),
            "own_assessment": _own_assessment(task.get("kind"), department.kind)}


def _listed(value, listed: tuple[str, ...]) -> Optional[bool]:
    """Whether the task's ``value`` is in the department's ``listed`` entries; unknown when
    the task gives none although the department lists some."""
    if not listed:
        return False
    if value is None or value == "":
        return None
    return value in listed


def _either(a: Optional[bool], b: Optional[bool]) -> Optional[bool]:
    """Three-valued ``or``: true if either is, false if both are, else unknown."""
    if a or b:
        return True
    if a is None or b is None:
        return None
    return False


def _own_assessment(kind, department_kind: str) -> Optional[bool]:
    if kind is None or kind == "":
        return None
    return kind in ASSESSMENT_KINDS and department_kind == "functional"
