"""A compiled pack and the decisions it makes (the Python API of SPEC §4).

``Pack.decide`` is pure: it reads only its arguments and the compiled pack, so
the same digest and the same input always give the same decision — which is
what lets the service replay any logged decision.
"""
from __future__ import annotations

from collections.abc import Mapping  # isinstance() on typing.Mapping is several times slower
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, Optional

from . import clock
from .checker import Checked
from .compiler import CompiledPack, Compiler
from .diagnostics import MESSAGES, Diagnostic
from .effects import DECISION_OF, INFORMATION, MET_BY
from .errors import DecisionInputError  # raised by Pack.decide; callers import it from here
from .jsonvalue import jsonable
from .testing import TestReport, run_pack_tests
from .types import BOOL, DATE, SOURCE_LABELS, STR, ArrayOf, Enum, Num, Record, SetOf, Type
from .used_items import UsedItems, list_probes
from .vocabulary import Vocabulary

_EMPTY: Mapping = {}
#: reasons of rules fired because of list items kept per pack (rule × items met in practice: a few
#: hundred; the bound keeps a pack's memory fixed whatever tasks arrive)
MAX_ITEM_REASONS = 10_000


@dataclass(frozen=True)
class RuleMeta:
    """What a decision says about a rule."""

    index: int
    id: str
    title: Optional[str]
    pack: str
    effect: str
    requirement: Optional[str]
    message: str
    citation: str
    cites: tuple[dict, ...]
    overridable: bool
    line: int
    file: str
    unknown: Optional[str] = None  # "reject" when an unknown condition rejects (`unknown reject`)
    unknown_message: Optional[str] = None
    requirements: tuple[str, ...] = ()  # every code of `then require a, b` (requirement is the first)


class Decision:
    """The outcome of one admission check."""

    __slots__ = ("_pack", "fired", "_effects", "trace", "today", "_unknown", "_items", "_used", "_task")

    def __init__(self, pack: "Pack", fired: list[int], effects: int, trace=None, today=None,
                 unknown: tuple = (), items: Optional[dict] = None, used: tuple = (), task: Mapping = _EMPTY):
        self._pack = pack
        self._task = task  # the task decided on: which of a rule's several requirements it already meets
        self.fired = fired  # rules that fired, `unknown reject` ones whose condition was unknown among them
        self._effects = effects  # the outcomes of the evaluated rules, as bits (see .effects)
        self.trace = trace
        self.today = today
        self._unknown = unknown  # ((rule index, missing fact paths), ...) of the rules that were unknown
        self._items = items  # rule index -> the list items it fired because of (see Pack._items_of)
        self._used = used  # the items the decision relied on, as Pack._shown_item made them (see .used_items)

    def _reason(self, i: int) -> dict:
        items = self._items.get(i) if self._items else None
        return dict(self._pack._reason_dicts[i] if not items else self._pack._reason_with_items(i, items))

    @property
    def decision(self) -> str:
        """``admit`` | ``conditional`` | ``reject``: :func:`.effects.combine` of the rules' outcomes."""
        return DECISION_OF[self._effects]

    @property
    def reasons(self) -> list[dict]:
        """Every fired rule, in declaration order (ancestors first); a rule that
        rejects because its condition was unknown (``unknown reject``) says so."""
        own = self.own_reasons()
        return [own[i] if i in own else dict(self._pack._reason_dicts[i]) for i in self.fired]

    def own_reasons(self) -> dict[int, dict]:
        """The fired rules whose reason in this decision differs from their rule's
        :meth:`Pack.reason_of`, with that reason: a rule rejecting because its condition was
        unknown, or firing because of list items, says so (the others' reasons can be encoded
        once per pack rather than once per decision)."""
        return {i: self.own_reason(i, why) for i, why in self.own_reason_keys().items()}

    def own_reason_keys(self) -> dict[int, tuple]:
        """For each fired rule with a reason of this decision's own (:meth:`own_reasons`), what
        makes it: ``("unknown", missing paths)`` or ``("items", (list, code) of each item)`` — the
        same key, the same reason, whichever decision it is (callers may keep reasons by it)."""
        keys: dict[int, tuple] = {}
        missing = dict(self._unknown) if self._unknown else {}
        for i in self.fired:
            if i in missing:
                keys[i] = ("unknown", missing[i])
            elif self._items and self._items.get(i):
                keys[i] = ("items", tuple((item["list"], item["code"]) for item in self._items[i]))
        return keys

    def own_reason(self, i: int, why: tuple) -> dict:
        """The reason of fired rule ``i`` made by ``why`` (one of :meth:`own_reason_keys`)."""
        return self._pack._unknown_reason(i, why[1]) if why[0] == "unknown" else self._reason(i)

    @property
    def requirements(self) -> list[dict]:
        """What a conditional decision waits for: one entry per requirement code, in the order
        of the fired rules and of each rule's codes, and ``information`` naming the facts that
        were missing when a rule was unknown. A rule requiring several things at once lists
        those the task does not already meet (:data:`.effects.MET_BY`). A rejection waits for
        nothing: it has none."""
        if DECISION_OF[self._effects] == "reject":
            return []
        out, seen = [], set()
        req = self._pack._requirement_of
        for i in self.fired:
            codes = req[i] or ()
            if len(codes) > 1:
                codes = [c for c in codes if not (c[2] and self._task.get(c[2]) is True)] or codes
            for code, message, _met in codes:
                if code not in seen:
                    seen.add(code)
                    out.append({"code": code, "message": message})
        if self._unknown and INFORMATION not in seen:
            out.append({"code": INFORMATION, "message": self._pack._information_message(self._unknown)})
        return out

    @property
    def unknown(self) -> list[dict]:
        """The rules whose condition was unknown and that would have rejected or
        required (a warning's cannot change the decision: explain shows those), each
        with the fact paths it read that were missing from the input."""
        rules = self._pack.rules
        return [{"rule": rules[i].id, "pack": rules[i].pack, "missing": list(paths)} for i, paths in self._unknown]

    @property
    def items(self) -> list[dict]:
        """The list items the decision relied on, whether or not a rule fired because of them
        (a task admitted because its item is on the self-governance list relied on that item):
        ``[{list, code, name, example, cites}]``, in the order of the rules' tests. An
        ``example`` item is not the content of a published list, and every decision using
        one says so here."""
        return [{**item, "cites": [dict(c) for c in item["cites"]]} for item in self._used]

    @property
    def rule_ids(self) -> list[str]:
        rules = self._pack.rules
        return [rules[i].id for i in self.fired]

    def to_dict(self) -> dict:
        """Exactly the body of the API's admission-check answer."""
        if self._unknown:
            out = {"decision": self.decision, "reasons": self.reasons, "requirements": self.requirements,
                   "pack": dict(self._pack._pack_info), "unknown": self.unknown}
        else:  # every fact was known: the common case, spelt out for speed
            out = {"decision": DECISION_OF[self._effects], "reasons": [self._reason(i) for i in self.fired],
                   "requirements": self.requirements, "pack": dict(self._pack._pack_info), "unknown": []}
        out["items"] = self.items
        if self.trace is not None:
            out["trace"] = self.trace
        return out

    def __repr__(self) -> str:
        return f"<Decision {self.decision} {self.rule_ids}>"


class Pack:
    """A tenant's pack with its ancestors, checked and compiled."""

    def __init__(self, checked: Checked, compiled: CompiledPack, digest: str,
                 sources: Mapping[str, str]):
        linked = checked.linked
        leaf = linked.leaf
        self.tenant: str = leaf.tenant
        self.version: Optional[str] = leaf.header.version if leaf.header else None
        #: the date the leaf pack's documents take effect (`pack … effective 2024-06-01`), if declared
        self.effective: Optional[str] = leaf.header.effective if leaf.header else None
        self.title: Optional[str] = leaf.title
        self.digest = digest
        self.chain = [{"tenant": u.tenant, "version": u.header.version if u.header else None,
                       "title": u.title} for u in linked.units]
        self.sources = dict(sources)  # display path -> text, the whole chain
        self.files = {u.tenant: {f.name: f.text for f in u.source.files} for u in linked.units}
        self.warnings: list[Diagnostic] = list(checked.warnings)
        self.checked = checked
        self.compiled = compiled
        self.task_form = checked.task_form
        self.rules: list[RuleMeta] = [self._rule_meta(r) for r in checked.rules]
        self.disabled = {rid: pack for rid, (_d, pack) in linked.disabled.items()}
        self.tests = checked.tests
        self._pack_info = {"tenant": self.tenant, "version": self.version, "digest": digest}
        self._reason_dicts = [self._reason(m) for m in self.rules]
        self._requirement_of = [tuple((code, m.message, MET_BY.get(code)) for code in m.requirements)
                                if m.effect == "require" else None for m in self.rules]
        self._item_probes = [list_probes(r.when, checked, negated=False) if r.when is not None else ()
                             for r in checked.rules]
        self._probed = frozenset(i for i, probes in enumerate(self._item_probes) if probes)
        #: (rule index, (list, code) of each item) -> the reason of a rule that fired because of those
        #: items: made from the pack alone, so once (bounded: see :meth:`_reason_with_items`)
        self._item_reasons: dict[tuple, dict] = {}
        self._uses_today = "today" in compiled.reads
        self._fn = compiled.decide
        self.history_needed: frozenset[str] = frozenset(compiled.reads.get("history", ()))
        self._history_needed = tuple(sorted(self.history_needed))
        self._vocabulary_of = {f: Vocabulary.from_items(name, checked.lists[name].kind, checked.lists[name].items)
                               for f, name in checked.task_form.vocabularies.items() if name in checked.lists}
        used_items = UsedItems(checked, self._vocabulary_of, self._shown_item)
        self._used_items = used_items.found if used_items else None  # None: the rules test no list
        #: per rule, the fact paths it reads, split for :meth:`_missing`; filled on a rule's first unknown
        #: (walking the rule's condition for them cost more than the rest of a conditional decision)
        self._paths_of: dict[int, tuple] = {}

    # ---------------------------------------------------------------- metadata
    @property
    def source_info(self) -> dict[str, dict]:
        """Each source of the chain by id: short title, full title, issuer, 文号, date, URL, file."""
        return {sid: source_meta(src) for sid, (src, _pack) in self.checked.linked.sources.items()}

    def _cite(self, source: str, clause: Optional[str], quote: Optional[str]) -> dict:
        entry = self.checked.linked.sources.get(source)
        meta = source_meta(entry[0]) if entry else {"title": source}
        out = {"source": source, "title": meta["title"], "clause": clause, "file": meta.get("file")}
        if quote is not None:
            out["quote"] = quote
        for key in ("full", "issuer", "number", "date", "url"):
            if meta.get(key):
                out[key] = meta[key]
        return out

    def _rule_meta(self, r) -> RuleMeta:
        cites = [self._cite(c.source, c.clause, c.quote) for c in r.cites]
        citation = ";".join(citation_text(c) for c in cites)
        message = r.effect.message or r.title or r.id
        on_unknown = r.on_unknown
        return RuleMeta(r.index, r.id, r.title, r.pack, r.effect.kind, r.effect.code, message,
                        citation, tuple(cites), r.overridable, r.span.line, r.span.file,
                        on_unknown.kind if on_unknown else None, on_unknown.message if on_unknown else None,
                        r.effect.codes if r.effect.kind == "require" else ())

    @staticmethod
    def _reason(m: RuleMeta) -> dict:
        reason = {"rule": m.id, "effect": m.effect, "message": m.message, "citation": m.citation,
                  "pack": m.pack, "title": m.title or m.id, "cites": [dict(c) for c in m.cites]}
        if m.requirement:
            reason["requirement"] = m.requirement
        if len(m.requirements) > 1:
            reason["requirements"] = list(m.requirements)
        return reason

    def _items_of(self, fired, inputs: Mapping) -> dict:
        """rule index -> the list items its condition found the task on (``task.item_code in
        减负事项`` with an item_code on that list): their reasons cite the items' sources too."""
        out = {}
        for i in fired:
            found = []
            for path, names in self._item_probes[i]:
                value = inputs.get(path[0])
                for key in path[1:]:
                    value = value.get(key) if isinstance(value, Mapping) else None
                if not isinstance(value, str):
                    continue
                for name in names:
                    item = self.checked.lists[name].find(value)
                    if item is not None and item not in found:
                        found.append(item)
            if found:
                out[i] = found
        return out

    def _shown_item(self, item: dict) -> dict:
        """A list item as decisions show it: ``{list, code, name, example, cites}`` (cites with
        their sources' metadata)."""
        return {"list": item["list"], "code": item["code"], "name": item["name"], "example": bool(item["example"]),
                "cites": [self._cite(c["source"], c["clause"], c["quote"]) for c in item["cites"]]}

    def _reason_with_items(self, i: int, items: list[dict]) -> dict:
        """The reason of rule ``i`` fired because of ``items`` (:meth:`_with_items`), kept per rule
        and items like :attr:`_reason_dicts` (callers copy it as they copy those). At most
        ``MAX_ITEM_REASONS`` are kept: past that, each is made anew."""
        key = (i, tuple((item["list"], item["code"]) for item in items))
        reason = self._item_reasons.get(key)
        if reason is None:
            reason = self._with_items(dict(self._reason_dicts[i]), items)
            if len(self._item_reasons) < MAX_ITEM_REASONS:
                self._item_reasons[key] = reason
        return reason

    def _with_items(self, reason: dict, items: list[dict]) -> dict:
        """``reason`` with the items it fired because of: each item's citations join the
        reason's, and an example item (``example``) is marked as such in the message."""
        shown = []
        for item in items:
            shown.append(self._shown_item(item))
            cites = shown[-1]["cites"]
            reason["cites"] = reason["cites"] + [{**c, "item": item["code"]} for c in cites]
            extra = ";".join(citation_text(c) for c in cites)
            if extra:
                reason["citation"] = ";".join(x for x in (reason["citation"], f"事项“{item['name']}”:{extra}") if x)
        examples = [x["name"] for x in shown if x["example"]]
        if examples:
            reason["example"] = True
            reason["message"] += f"(注意:事项“{'、'.join(examples)}”是示例事项,不是正式公布的清单内容)"
        reason["items"] = shown
        return reason

    def _unknown_reason(self, index: int, missing: tuple[str, ...]) -> dict:
        """The reason of an ``unknown reject`` rule whose condition was unknown."""
        m = self.rules[index]
        facts = "、".join(missing) or "其条件所需的信息"
        lead = m.unknown_message or f"无法判断规则“{m.title or m.id}”是否适用"
        reason = {**self._reason_dicts[index], "effect": "reject",
                  "message": f"{lead}:缺少 {facts},按规则不予准入", "missing": list(missing)}
        reason.pop("requirement", None)
        return reason

    def _information_message(self, unknown: tuple) -> str:
        """What the ``information`` requirement asks for: the missing facts, or
        the rules that could not be decided when no input fact was missing."""
        facts = list(dict.fromkeys(p for _i, paths in unknown for p in paths))
        if facts:
            return "须补充:" + "、".join(facts)
        return "须补充信息:无法判断规则 " + "、".join(self.rules[i].id for i, _ in unknown)

    def reason_of(self, index: int) -> Mapping:
        """The reason rule ``index`` gives when it fires (``Decision.fired`` holds indexes);
        read-only: ``Decision.reasons`` hands out copies of these."""
        return MappingProxyType(self._reason_dicts[index])

    @property
    def lists(self) -> dict[str, list[dict]]:
        """``{list name: [{"code", "name", "kind", "requires", ...}]}``, inherited merged; an item's
        ``aliases``, ``levels`` (empty: every level), ``example`` and ``cites`` (with metadata)."""
        return {name: [{"code": i["code"], "name": i["name"], "kind": i["kind"],
                        "requires": list(i["requires"]), "attrs": dict(i["attrs"]), "pack": i["pack"],
                        "aliases": list(i["aliases"]), "levels": list(i["levels"]), "example": i["example"],
                        "cites": [self._cite(c["source"], c["clause"], c["quote"]) for c in i["cites"]]}
                       for i in info.items]
                for name, info in self.checked.lists.items()}

    @property
    def list_info(self) -> dict[str, dict]:
        """Each list's kind, title and declaring pack."""
        return {name: {"kind": i.kind, "title": i.title, "pack": i.pack, "size": len(i.items)}
                for name, i in self.checked.lists.items()}

    @property
    def params(self) -> dict[str, dict]:
        """Effective params: value (in base units), policy, where declared."""
        return {name: {"value": p.text, "policy": p.policy, "pack": p.pack,
                       "declared_in": list(p.declared_in), "title": p.title}
                for name, p in self.checked.params.items()}

    def param_value(self, name: str):
        """A param's effective value as a number, (low, high) or set."""
        p = self.checked.params[name]
        if isinstance(p.value, tuple):
            return tuple(Compiler.runtime(v) for v in p.value)
        if isinstance(p.value, frozenset):
            return frozenset(Compiler.runtime(v) for v in p.value)
        return Compiler.runtime(p.value)

    @property
    def standards(self) -> dict[str, Any]:
        return {s.name: s for s in self.checked.standards}

    # ---------------------------------------------------------------- deciding
    def decide(self, task: Mapping, target: Optional[Mapping] = None, history: Optional[Mapping] = None,
               *, source: Optional[Mapping] = None, today: Optional[str | date] = None,
               explain: bool = False) -> Decision:
        """Decide ``task`` for the receiving unit ``target``.

        ``history`` holds facts the runtime looked up (``assessments_this_year``
        …): every one of :attr:`history_needed`, ``None`` where the runtime does
        not know it (unknown). ``today`` is the decision date (ISO text; defaults
        to today's date in China, :func:`.clock.today`, and only matters for rules that read ``today``).
        Raises :class:`DecisionInputError` when ``history`` omits a needed fact
        (E703) or the input has types the rules cannot use (E701, E702).
        """
        if today is None and self._uses_today:
            today = clock.today().isoformat()
        elif isinstance(today, date):
            today = today.isoformat()
        target = _EMPTY if target is None else target
        history = _EMPTY if history is None else history
        source = _EMPTY if source is None else source
        try:
            if explain:
                fired, effects, unknown, raw = self.compiled.explain(task, target, history, today, source, [None])
            else:
                fired, effects, unknown = self._fn(task, target, history, today, source)
        except Exception as e:  # the generated code is total on well-typed input
            raise self._input_error(task, target, history, source, today, e) from None
        inputs = {"task": task, "target": target, "history": history, "source": source}
        items = None if self._probed.isdisjoint(fired) else self._items_of(fired, inputs)
        used = self._used_items(inputs) if self._used_items is not None else ()
        if not unknown and not explain:
            return Decision(self, fired, effects, None, today, (), items, used, task)
        # the cold path: which facts the unknown rules read were missing
        missing = tuple((i, self._missing(i, inputs)) for i in unknown)
        return Decision(self, fired, effects, self._trace(raw, inputs) if explain else None, today, missing, items,
                        used, task)

    def outcome(self, task: Mapping, target: Mapping, history: Mapping, source: Mapping,
                today: Optional[str]) -> tuple[str, list[int], list[int]]:
        """Only what an impact replay compares, for one logged decision: the decision, the indices
        of the rules that fired and of those that were unknown (both in :attr:`rules` order) —
        :meth:`decide` without building a :class:`Decision` (no reasons, items or missing facts).
        Every argument is given (``today`` as ISO text); the errors are :meth:`decide`'s."""
        if today is None and self._uses_today:
            today = clock.today().isoformat()
        try:
            fired, effects, unknown = self._fn(task, target, history, today, source)
        except Exception as e:  # the generated code is total on well-typed input
            raise self._input_error(task, target, history, source, today, e) from None
        return DECISION_OF[effects], fired, unknown

    def _trace(self, raw, inputs: Mapping) -> list[dict]:
        """Explain: per rule, fired true/false, or null when its condition was
        unknown — then with the missing facts it read and who supplies each."""
        rules, out = self.rules, []
        for i, ok, seen in raw:
            entry = {"rule": rules[i].id, "pack": rules[i].pack, "effect": rules[i].effect,
                     "fired": None if ok is None else bool(ok), "values": jsonable(seen)}
            if ok is None:
                sources = [(p, self.checked.source_of(p)) for p in self._missing(i, inputs)]
                entry["missing"] = [{"path": p, "source": src, "source_label": SOURCE_LABELS.get(src, src)}
                                    for p, src in sources]
            out.append(entry)
        return out

    def _missing(self, index: int, inputs: Mapping) -> tuple[str, ...]:
        """The fact paths rule ``index`` reads that are missing from ``inputs``
        (a task field's form default counts as present; a vocabulary field that
        names no entry counts as missing); a path under a missing one is not
        listed again."""
        out: list[str] = []
        defaults = self.checked.task_form.defaults
        paths = self._paths_of.get(index)
        if paths is None:
            paths = self._paths_of[index] = tuple((_path_text(p), p[0], p[1], p[2:])
                                                  for p in self.compiled.rule_paths(index))
        for text, root, first, rest in paths:
            if out and any(text.startswith(m + ".") or text.startswith(m + "[") for m in out):
                continue
            value = inputs[root].get(first) if isinstance(inputs[root], Mapping) else None
            if root == "task":
                if value is None:
                    value = defaults.get(first)
                voc = self._vocabulary_of.get(first)
                if voc is not None and value is not None and voc.resolve(value) is None:
                    value = None
            if _absent(value, rest):
                out.append(text)
        return tuple(out)

    def _input_error(self, task, target, history, source, today, exc: Exception) -> DecisionInputError:
        roots = {"task": (task, self.checked.task_form.record), "target": (target, self.checked.target_record),
                 "history": (history, self.checked.history_record), "source": (source, self.checked.source_record)}
        for root, (value, record) in roots.items():
            if not isinstance(value, Mapping):
                return DecisionInputError("E701", MESSAGES["E701"].format(
                    path=root, expected="对象", actual=_kind(value)), root)
            absent = [name for name in self._history_needed if name not in value] if root == "history" else []
            if absent:
                return DecisionInputError("E703", MESSAGES["E703"].format(names="、".join(absent)),
                                          "history." + absent[0])
            for fld in sorted(self.compiled.reads.get(root, ())):
                problem = _mismatch(record.fields.get(fld), value.get(fld))
                if problem:
                    path = f"{root}.{fld}"
                    return DecisionInputError("E701", MESSAGES["E701"].format(
                        path=path, expected=problem, actual=_kind(value.get(fld))), path)
        at: list = [None]
        try:  # again, at the same date: a rule may only run on some dates
            self.compiled.explain(task, target, history, today, source, at)
        except Exception as again:  # the same failure, now located
            exc = again
        rule = self.rules[at[0]].id if at[0] is not None else "(未知)"
        return DecisionInputError("E702", MESSAGES["E702"].format(rule=rule, detail=f"{type(exc).__name__}: {exc}"),
                                  f"rule:{rule}")

    # ---------------------------------------------------------------- tests, standards
    def run_tests(self) -> TestReport:
        """Run the pack's own ``test`` blocks; see :mod:`.testing`."""
        return run_pack_tests(self)

    def evaluate_standard(self, name: str, unit: Mapping) -> Optional[dict]:
        """One unit's measures for standard ``name`` (None when it does not apply).

        Raises KeyError for a standard the pack does not have."""
        info = self.standards.get(name)
        if info is None:
            raise KeyError(name)
        if not info.applies_to(unit.get("level")):
            return None
        return self.compiled.standards[name](unit)

    def derived_facts(self, unit: Mapping) -> dict:
        """The ``target.*`` facts the standards export for ``unit`` (its facts, with
        ``children``): each unknown (None) where the unit data it derives from is
        missing or cannot be computed, so a rule reading it is unknown too."""
        level, out = unit.get("level"), {}
        for s in self.checked.standards:
            if not s.exports or not s.applies_to(level):
                continue
            try:
                facts = self.compiled.exports[s.name](unit)
            except Exception:  # noqa: BLE001 - data the measures cannot use: the facts stay unknown
                facts = dict.fromkeys(s.exports)
            if facts is not None:
                out.update(facts)
        return out

    def __repr__(self) -> str:
        return f"<Pack {self.tenant} {self.version} {self.digest[:12]} rules={len(self.rules)}>"


def source_meta(src) -> dict:
    """A ``source`` declaration's metadata, as decisions and notices show it."""
    meta = {"id": src.id, "title": src.title, "file": src.file}
    for key in ("full", "issuer", "number", "date", "url"):
        value = getattr(src, key)
        if value:
            meta[key] = value
    return meta


def citation_text(c: Mapping) -> str:
    """``短标题 四(四):“不得将……”``: a cite as one line of text."""
    text = f"{c['title']} {c.get('clause') or ''}".strip()
    return text + (f":“{c['quote']}”" if c.get("quote") else "")


def _path_text(path: tuple[str, ...]) -> str:
    """``("task", "items", "[]", "n")`` → ``task.items[].n``."""
    return ".".join(path).replace(".[]", "[]")


def _absent(value, rest: tuple[str, ...]) -> bool:
    """Is the fact at ``rest`` below ``value`` missing (None), for some element of
    each array on the way?"""
    if value is None:
        return True
    if not rest:
        return False
    if rest[0] == "[]":
        return isinstance(value, list) and any(_absent(v, rest[1:]) for v in value)
    return _absent(value.get(rest[0]) if isinstance(value, Mapping) else None, rest[1:])


def _kind(v) -> str:
    if v is None:
        return "空值"
    if isinstance(v, bool):
        return "真假值"
    if isinstance(v, (int, float)):
        return "数字"
    if isinstance(v, str):
        return "文字"
    if isinstance(v, (list, tuple)):
        return "数组"
    if isinstance(v, Mapping):
        return "对象"
    return type(v).__name__


def _mismatch(t: Optional[Type], v) -> Optional[str]:
    """The expected type's name when ``v`` cannot be used as ``t``."""
    if v is None or t is None:
        return None
    if t == BOOL and not isinstance(v, bool):
        return "真假值"
    if (t == STR or isinstance(t, Enum)) and not isinstance(v, str):
        return str(t)
    if t == DATE and not (isinstance(v, str) and _is_date(v)):
        return "日期(YYYY-MM-DD)"
    if isinstance(t, Num) and (not isinstance(v, (int, float)) or isinstance(v, bool)):
        return str(t)
    if isinstance(t, (ArrayOf, SetOf)) and not isinstance(v, list):
        return str(t)
    if isinstance(t, Record) and not isinstance(v, Mapping):
        return "对象"
    return None


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True
