"""Every fact a decision reads, gathered in one place for the admission check and for assignments.

SPEC §4.5: each fact has a declared source, and where a registry can know a fact the sender is
not asked for it. A fact that cannot be known is missing or ``None``: *unknown*, never false, so
a pack never admits because of it (it decides at least ``conditional``, requirement
``information``).

* ``target.*`` — the receiving unit, from the unit registry (``task.target_unit``): its own
  facts, its place in the tree (``parent``, ``community``: :func:`place`) and what its pack's
  standards export (``staffing_gap`` …). A what-if check states the unit's facts instead
  (``target``): they must read like unit data (:func:`what_if_target`) and are completed the same
  way. With neither, the target is unknown.
* ``source.*`` — the sending unit, from the unit registry, and ``source.department``, from the
  department registry (:func:`sending_department`, :mod:`jiceng.platform.departments.facts`).
* ``history.*`` — counted from admitted assignments (:mod:`.history`); for a what-if, what the
  asker states, else unknown.
* ``task.*`` — the sender's task form, validated by the caller before anything here runs.

:func:`.deciding.decide` then only calls the pack.
"""
from __future__ import annotations

import json
import math
import threading
import unicodedata
import weakref
from collections.abc import Mapping  # isinstance() on typing.Mapping is several times slower
from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy.orm import Session

from jiceng.dsl.diagnostics import did_you_mean
from jiceng.dsl.functions import default_registry
from jiceng.dsl.jsonvalue import jsonable
from jiceng.dsl.pack import Pack
from jiceng.dsl.types import LEVEL_LABELS, LEVELS

from jiceng.platform.caching import TTLCache
from jiceng.platform.decisions.append import Canonical
from jiceng.platform.decisions.chain import canonical_jsonable
from jiceng.platform.departments.facts import as_a_whole_facts, department_facts
from jiceng.platform.departments.registry import DepartmentInfo, require_registered, resolve
from jiceng.platform.errors import Invalid, NotFound
from jiceng.platform.runtime import TTL_SECONDS, Runtime, UnitInfo
from jiceng.platform.tenants.files import FLOAT_COLUMNS, INT_COLUMNS
from jiceng.platform.units.importer import COLUMN_LABEL, HEADERS, INT_LIMIT, LEVEL_WORDS

#: levels that are a community themselves (城市社区, and the village: 农村社区)
COMMUNITY_LEVELS = ("community", "village")
#: the facts of an org unit a what-if may state (those the unit registry holds)
UNIT_KEYS = ("level", "name", "code", "parent", *INT_COLUMNS, *FLOAT_COLUMNS)
#: longest code and name a unit may have (as the unit import allows)
CODE_LENGTH, NAME_LENGTH = 32, 200
#: target facts kept per runtime, at most (a full cache is emptied: entries are cheap to make again)
KEPT_TARGETS = 10_000


# ---------------------------------------------------------------------- caches, per runtime
class _Kept:
    """What this module keeps for one runtime, between requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: (unit code, pack digest) -> (unit snapshot, parent snapshot, pack, Target)
        self.targets: dict[tuple[str, str], tuple] = {}
        #: (tenant, sending unit, department name, unit generation, department generation) -> the
        #: registered department (None: not found); kept under the generations read (:func:`_department`)
        self.departments: TTLCache[Optional[DepartmentInfo]] = TTLCache(TTL_SECONDS)


_KEPT: "weakref.WeakKeyDictionary[Runtime, _Kept]" = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


def _kept(rt: Runtime) -> _Kept:
    kept = _KEPT.get(rt)
    if kept is None:
        with _KEPT_LOCK:
            kept = _KEPT.setdefault(rt, _Kept())
    return kept


def _department(session: Session, rt: Runtime, tenant: str, unit: str, name: str) -> Optional[DepartmentInfo]:
    """The department ``name`` as found from ``unit`` (:func:`~jiceng.platform.departments.registry.resolve`),
    kept under the unit and department generations the request read (:meth:`Runtime.see`): a
    registry import, or a unit import that moved a unit, is seen by the next request in every
    process. A name not found is kept too, but the callers look it up again before acting on it."""
    key = (tenant, unit, name.strip(), rt.unit_generation, rt.department_generation)
    return _kept(rt).departments.get_or_load(key, lambda: resolve(session, tenant, unit, name))


# ---------------------------------------------------------------------- units named in a request
def lookup_unit(session: Session, rt: Runtime, tenant: str, code, path: str) -> UnitInfo:
    """A unit named in a request body; unknown and out-of-reach units read the same (422)."""
    try:
        return rt.unit_in_reach(session, tenant, code)
    except NotFound:
        raise Invalid("unit_not_found", f"找不到单位 {code}", [{"path": path, "message": f"找不到单位 {code}"}]) from None


# ---------------------------------------------------------------------- target.*
@dataclass(frozen=True)
class Target:
    """``target.*`` of one decision, and the same in canonical JSON for its log entry. A unit's is
    shared between requests: read it, never change it."""

    facts: dict
    text: Canonical


UNKNOWN_TARGET = Target({}, Canonical("{}"))


def _target(facts: dict) -> Target:
    facts = jsonable(facts)
    return Target(facts, Canonical(canonical_jsonable(facts)))


def unit_target(session: Session, rt: Runtime, unit: UnitInfo, pack: Pack) -> Target:
    """The receiving unit's ``target.*`` (:func:`target_facts`), kept as long as this unit snapshot,
    its parent's (:meth:`Runtime.unit`) and this pack are the ones in use."""
    parent = _parent(session, rt, unit)
    kept = _kept(rt)
    key = (unit.code, pack.digest)
    hit = kept.targets.get(key)
    if hit is not None and hit[0] is unit and hit[1] is parent and hit[2] is pack:
        return hit[3]
    target = _target(target_facts(unit.facts, unit.children, parent.facts if parent is not None else None, pack))
    with kept.lock:
        if len(kept.targets) >= KEPT_TARGETS:
            kept.targets.clear()
        kept.targets[key] = (unit, parent, pack, target)
    return target


def _parent(session: Session, rt: Runtime, unit: UnitInfo) -> Optional[UnitInfo]:
    """The unit's parent, when it is a unit of the same tenant. The parent of a tenant's topmost
    unit is its parent tenant's (长沙市's is 湖南省): not the deciding tenant's to read, so unknown."""
    parent = rt.unit(session, unit.facts.get("parent"))
    return parent if parent is not None and parent.tenant == unit.tenant else None


def target_facts(own: Mapping, children: Optional[Sequence[Mapping]], parent: Optional[Mapping],
                 pack: Pack) -> dict:
    """``target.*`` of a unit with facts ``own`` (``parent`` there is the parent's code), its
    children's facts (None: unknown, as for a what-if) and its parent's facts (None: unknown):
    its own facts, what its pack's standards export, then its place in the tree (:func:`place`)."""
    facts = dict(own)
    facts.update(exported(pack, own, children))
    facts.update(place(own, parent))
    return facts


def place(own: Mapping, parent: Optional[Mapping]) -> dict:
    """The unit's place in the tree as unit records: ``parent`` (its parent's facts) and
    ``community`` — the community or village it belongs to: itself for a community or village,
    its parent for a grid (so that a rule about villages also holds for a grid in a village
    without the sender saying so). Unknown (None) above the community level, and for a grid whose
    parent is unknown."""
    level = own.get("level")
    if level in COMMUNITY_LEVELS:
        community = dict(own)
    elif level == "grid" and parent is not None and parent.get("level") in COMMUNITY_LEVELS:
        community = dict(parent)
    else:
        community = None
    return {"parent": dict(parent) if parent is not None else None, "community": community}


def exported(pack: Pack, own: Mapping, children: Optional[Sequence[Mapping]]) -> dict:
    """The facts the pack's standards export for a unit (``staffing_gap`` …). A fact the unit data
    cannot settle (missing unit data, children unknown) is unknown: None (:meth:`Pack.derived_facts`)."""
    subject = dict(own) if children is None else dict(own, children=[dict(c) for c in children])
    return pack.derived_facts(subject)


def what_if_target(given: Mapping, pack: Pack) -> Target:
    """``target.*`` of a what-if check: the unit's facts as the asker states them, refused (422
    ``target_invalid``, a JSON pointer per problem) unless they read like the unit registry's —
    ``level`` one of :data:`~jiceng.dsl.types.LEVELS`, numbers numbers, no other keys, nothing
    the platform derives — then completed like a unit's (:func:`target_facts`: exports, place).
    ``parent`` may be stated as an object of unit facts; children are unknown."""
    problems: list[dict] = []
    derived = {fact: s.name for s in pack.checked.standards for fact in s.exports}
    own = _unit_values(given, "/target", problems, derived, nested=False)
    parent = None
    stated = given.get("parent")
    if isinstance(stated, Mapping):
        parent = _unit_values(stated, "/target/parent", problems, {}, nested=True)
    elif stated is not None:
        problems.append({"path": "/target/parent",
                         "message": "parent 应为对象:上级单位的事实,如 {\"level\": \"village\"}"})
    if problems:
        raise Invalid("target_invalid", f"假设的接收单位事实有 {len(problems)} 处问题(应与组织单位数据的写法一致)",
                      problems)
    own["parent"] = parent.get("code") if parent is not None else None
    return _target(target_facts(own, None, parent, pack))


def _unit_values(given: Mapping, at: str, problems: list, derived: Mapping[str, str], *, nested: bool) -> dict:
    """``given`` checked as the unit registry's facts of one unit; problems are appended."""
    values: dict = {}
    for key, value in given.items():
        path = f"{at}/{_escaped(str(key))}"
        if key == "parent" and not nested:
            continue  # the parent's facts: checked by the caller
        if key == "community" and not nested:
            problems.append({"path": path, "message": "community 由 level 和 parent 推出(社区、村是自己,网格是其上级),"
                                                      "不能直接给出"})
        elif key in derived:
            problems.append({"path": path, "message": f"{key} 由规则包的标准“{derived[key]}”按单位事实算出,不能直接给出"})
        elif key not in UNIT_KEYS:
            problems.append({"path": path, "message": _unknown_key(str(key))})
        else:
            problem, value = _unit_value(key, value)
            if problem:
                problems.append({"path": path, "message": problem})
            else:
                values[key] = value
    return values


def _unit_value(key: str, value) -> tuple[Optional[str], object]:
    """(the problem, or None; the value as the unit registry holds it). None is unknown."""
    if value is None:
        return None, None
    label = f"{COLUMN_LABEL[key]}({key})"
    if key == "level":
        if isinstance(value, str) and value in LEVELS:
            return None, value
        return _bad_level(value), None
    if key in ("name", "code", "parent"):
        longest = NAME_LENGTH if key == "name" else CODE_LENGTH
        if not isinstance(value, str):
            return f"{label}应为文字,实际为 {_shown(value)}", None
        if len(value) > longest:
            return f"{label}超过 {longest} 个字符", None
        return None, value
    whole = key in INT_COLUMNS
    kind = "整数" if whole else "数字"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"{label}应为{kind},实际为 {_shown(value)}", None
    if whole and isinstance(value, float):
        if not value.is_integer():
            return f"{label}应为整数,实际为 {_shown(value)}", None
        value = int(value)
    if value < 0:
        return f"{label}不能为负数,实际为 {_shown(value)}", None
    if whole and value > INT_LIMIT:
        return f"{label} {value} 过大", None
    return None, value


def _bad_level(value) -> str:
    """Why ``value`` is no level, with the level the asker probably meant (never guessed)."""
    allowed = " ".join(LEVELS)
    if not isinstance(value, str):
        return f"层级(level)应为 {allowed} 之一,实际为 {_shown(value)}"
    text = unicodedata.normalize("NFKC", value).strip()
    meant = LEVEL_WORDS.get(text) or next((lv for lv in LEVELS if lv == text.casefold()), None)
    hint = (f"您是不是要写 {meant}({LEVEL_LABELS[meant]})?" if meant is not None
            else did_you_mean(text.casefold(), LEVELS))
    return f"层级“{_cut(value)}”无效,应为 {allowed} 之一" + (f";{hint}" if hint else "")


def _unknown_key(key: str) -> str:
    meant = HEADERS.get(key.strip().lower())
    hint = (f"您是不是要写 {meant}?" if meant in UNIT_KEYS else did_you_mean(key, UNIT_KEYS))
    return f"单位事实中没有 {_cut(key)};可以给出的是 {' '.join(UNIT_KEYS)}" + (f";{hint}" if hint else "")


def _shown(value) -> str:
    return _cut(json.dumps(value, ensure_ascii=False, default=str))


def _cut(text: str, longest: int = 50) -> str:
    return text if len(text) <= longest else text[:longest] + "…"


def _escaped(key: str) -> str:
    """``key`` as one JSON-pointer token."""
    return key.replace("~", "~0").replace("/", "~1")


# ---------------------------------------------------------------------- source.*
def sending_department(session: Session, rt: Runtime, tenant: str, task: Mapping, unit: Optional[str], *,
                       prefix: str = "", cached: bool = False) -> Optional[DepartmentInfo]:
    """The registered department ``task`` names (``source_department``), looked up from ``unit``,
    the unit the task is actually sent from, within ``tenant``'s reach; None when it names none
    (sent by the 党委和政府 as a whole). A name the registry does not know is refused — 422
    ``unknown_department`` with a did-you-mean, or ``source_unit_missing`` without a unit
    (:func:`~jiceng.platform.departments.registry.require_registered`; its JSON pointers are
    relative to the task: ``prefix`` is put before them, ``/task`` in a check's body).

    ``cached`` (the admission check's hot path): a department found is kept per unit and
    department generation (:func:`_department`), so an import is seen by the next check in every
    process. A name not found is looked up again before it is refused, so a refusal is never stale.
    """
    name = task.get("source_department")
    if names_no_department(task):
        return None
    if cached and isinstance(name, str) and isinstance(unit, str) and unit:
        found = _department(session, rt, tenant, unit, name)
        if found is not None:
            return found
    try:
        return require_registered(session, tenant, {"source_department": name, "source_unit": unit})
    except Invalid as e:
        raise Invalid(e.code, e.message, [{**d, "path": prefix + d["path"]} for d in e.details]) from None


def names_no_department(task: Mapping) -> bool:
    """Whether ``task`` leaves ``source_department`` out (missing, null or blank)."""
    name = task.get("source_department")
    return name is None or (isinstance(name, str) and not name.strip())


def department_of(task: Mapping, department: Optional[DepartmentInfo], sender_role: Optional[str] = None) -> dict:
    """``source.department``: the registry's facts about the department ``task`` names
    (``department``: as found, None when it is not registered: unknown), or, when it names none,
    those of the 党委和政府 sending it as a whole — unless ``sender_role``, the role of the token
    asking, is ``department``: a 职能部门's operator leaving the name out does not make the task
    the 党委和政府's, so its department is unknown (fail-closed: rules reading it decide at
    least ``conditional``)."""
    if names_no_department(task):
        return department_facts(task, None) if sender_role == "department" else as_a_whole_facts()
    return department_facts(task, department)


def department_now(session: Session, rt: Runtime, tenant: str, task: Mapping, filed_from: Optional[str]) -> dict:
    """``source.department`` of a filed task decided again (assignment, evidence): its department
    as the registry stands, looked up from ``filed_from``, the unit it was filed from (and
    checked against then). A department the registry dropped since is unknown, not refused:
    the decision then waits for information instead of admitting.

    A department found is kept like the check's (:func:`_department`): per unit and department
    generation, which an assignment reads under its locks and evidence after its lock. A name not
    found is looked up again every time."""
    name = task.get("source_department")
    found = None
    if isinstance(name, str) and isinstance(filed_from, str) and filed_from:
        found = _department(session, rt, tenant, filed_from, name)
        if found is None:
            found = resolve(session, tenant, filed_from, name)
    return department_of(task, found)


def source_facts(session: Session, rt: Runtime, tenant: str, unit: Optional[str], department: dict) -> dict:
    """``source.*``: the sending unit's facts when it is a unit within ``tenant``'s reach (else none
    are known), and ``source.department``."""
    facts: dict = {}
    if unit:
        try:
            facts = dict(rt.unit_in_reach(session, tenant, unit).facts)
        except NotFound:
            pass
    facts["department"] = department
    return facts


# ---------------------------------------------------------------------- history.*
def default_history() -> dict:
    """A what-if unit's history, unless stated: every registered history fact, unknown (None) —
    nobody counted it, and a rule that needs it must not read a count of 0."""
    return dict.fromkeys(default_registry().history)
