"""Controlled vocabularies: the 事项类别 and 任务类型 a task may carry.

A list of kind ``category`` (事项类别词表) or ``task_kind`` (任务类型词表) is a
vocabulary. Each item's code is the canonical value a task carries (``行政执法``,
``report``), its name the zh-CN label, and two optional attributes place it::

    list 事项类别 kind category {
      行政执法 "行政执法" { 别名: ["执法"] }
      综合行政执法 "综合行政执法" { 上级: 行政执法 }
    }

* ``上级`` — the code of its parent, an entry of the same merged list (or
  ``null``: a root);
* ``别名`` — other spellings a sender may use, an array of texts.

Values match exactly after NFKC normalisation and trimming, so a full-width
``ｒｅｐｏｒｔ`` or a trailing space still names ``report``; nothing fuzzier
does (a near miss gets suggestions, never a guess).

Lists merge down the chain like every list, and vocabularies are protective:
a descendant adds entries and aliases, it cannot remove an inherited entry
(E411) nor move it under another parent (E235) — a national rule written for
``行政执法`` must keep covering what the nation put under it.

Who uses this module:

* the resolver: :func:`merge_entry` when a descendant re-declares an entry,
  :func:`check` once the chain is merged (E230–E234);
* the compiler pipeline: :func:`bind_task_form` types a task field that
  carries ``x-vocabulary`` as an enum of the vocabulary's spellings (E236);
* the service and the compiled rules: :class:`Vocabulary` (``resolve``,
  ``ancestors``, ``within``, ``members``) and :func:`vocabularies` of a
  compiled pack.
"""
from __future__ import annotations

import threading
import unicodedata
import weakref
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Collection, Iterable, Mapping, Optional, Protocol

from . import nodes as n
from .diagnostics import Diagnostic, Note, close_matches, did_you_mean, make
from .taskform import TaskForm
from .types import STR, Enum, Record

#: list kind -> its zh-CN name (merged into the resolver's LIST_KINDS)
VOCABULARY_KINDS = {
    "category": "事项类别词表",
    "task_kind": "任务类型词表",
}
PARENT = "上级"
ALIASES = "别名"


class MergedList(Protocol):
    """What this module reads of the resolver's merged list (the resolver imports this module)."""

    name: str
    kind: str
    items: Mapping[str, tuple[n.Item, str]]  # code -> (item, declaring pack)


#: texts up to this length keep their normal form (decisions normalise the same few task values over
#: and over); a longer text, which no spelling is, is normalised each time so that the cache stays
#: small whatever values senders send (at most 8,192 × 64 characters)
NORMALISED_CACHE_TEXT = 64


def normalise(text: str) -> str:
    """The form two spellings are compared in: NFKC (full-width letters and
    digits, compatibility ideographs) and no surrounding whitespace."""
    if len(text) <= NORMALISED_CACHE_TEXT:
        return _normalised(text)
    return unicodedata.normalize("NFKC", text).strip()


@lru_cache(maxsize=8192)
def _normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


@dataclass(frozen=True)
class Term:
    """One entry of a vocabulary."""

    code: str
    name: str
    parent: Optional[str] = None
    aliases: tuple[str, ...] = ()


class Vocabulary:
    """A merged vocabulary list: spellings to canonical codes, codes to their ancestors.

    Built from checked lists, where parents exist, there is no cycle and no
    spelling names two entries; given unchecked data it still answers (the
    first declaration of a spelling wins, an ancestor chain stops at an
    unknown parent or where it would loop).
    """

    def __init__(self, name: str, kind: str, terms: Iterable[Term]):
        self.name = name
        self.kind = kind
        self.terms: dict[str, Term] = {}
        for t in terms:
            self.terms.setdefault(t.code, t)
        self._spelling: dict[str, str] = {}
        for t in self.terms.values():  # codes before aliases: a code is never shadowed
            self._spelling.setdefault(normalise(t.code), t.code)
        for t in self.terms.values():
            for alias in t.aliases:
                self._spelling.setdefault(normalise(alias), t.code)
        self._ancestors = {code: self._chain(code) for code in self.terms}

    @classmethod
    def from_items(cls, name: str, kind: str, items: Iterable[Mapping]) -> "Vocabulary":
        """From items shaped as ``pack.lists`` gives them (``code``, ``name``, ``attrs``)."""
        return cls(name, kind, (_term(i["code"], i["name"], i.get("attrs") or {})[0] for i in items))

    def _chain(self, code: str) -> tuple[str, ...]:
        out, parent = [code], self.terms[code].parent
        while parent in self.terms and parent not in out:
            out.append(parent)
            parent = self.terms[parent].parent
        return tuple(out)

    def resolve(self, value) -> Optional[str]:
        """The canonical code ``value`` spells (a code or an alias), or None."""
        if not isinstance(value, str):
            return None
        # a spelling as stored is normalised already, and normalising is idempotent: most values
        # (codes as the form's vocabulary offers them) are found without normalising them
        code = self._spelling.get(value)
        return code if code is not None else self._spelling.get(normalise(value))

    def ancestors(self, code: Optional[str]) -> tuple[str, ...]:
        """``code`` itself, then its parent, up to the root; ``()`` for no code or an unknown one."""
        return self._ancestors.get(code, ()) if code is not None else ()

    def within(self, value, codes: Collection[str]) -> bool:
        """Whether ``value`` names an entry of ``codes`` or an entry below one of them."""
        return any(a in codes for a in self.ancestors(self.resolve(value)))

    def members(self, codes: Collection[str]) -> frozenset[str]:
        """Every normalised spelling within ``codes``: ``within(v, codes)`` is
        ``isinstance(v, str) and normalise(v) in members(codes)``, one set
        lookup for compiled rules that test the same ``codes`` again and again."""
        return frozenset(s for s, code in self._spelling.items()
                         if any(a in codes for a in self._ancestors[code]))

    def suggest(self, value) -> list[str]:
        """Accepted spellings close to ``value`` (a label written instead of its
        code suggests the code): what a message offers as 您是不是要写."""
        if not isinstance(value, str):
            return []
        by_text = dict(self._spelling)
        for t in self.terms.values():
            by_text.setdefault(normalise(t.name), t.code)
        out: list[str] = []
        for text in close_matches(normalise(value), by_text):
            spelling = text if text in self._spelling else by_text[text]
            if spelling not in out:
                out.append(spelling)
        return out

    def labels(self) -> dict[str, str]:
        """``{code: zh-CN label}`` in declaration order."""
        return {code: t.name for code, t in self.terms.items()}

    def __contains__(self, code) -> bool:
        return code in self.terms

    def __len__(self) -> int:
        return len(self.terms)

    def __repr__(self) -> str:
        return f"<Vocabulary {self.name} {self.kind} {len(self)} 项>"


# ---------------------------------------------------------------- reading items
def _text(value) -> Optional[str]:
    """A record value as plain text (bare words are Symbol, a str subclass)."""
    return str(value) if isinstance(value, str) else None


def _term(code: str, name: str, attrs: Mapping) -> tuple[Term, list[tuple[str, str]]]:
    """The term an item declares and the problems of its attributes ``[(attr, problem)]``."""
    problems = []
    parent = None
    if PARENT in attrs and attrs[PARENT] is not None:
        parent = _text(attrs[PARENT])
        if parent is None or not normalise(parent):
            problems.append((PARENT, "应为上级事项的代码(文字),根事项不写或写 null"))
            parent = None
    aliases: tuple[str, ...] = ()
    if ALIASES in attrs:
        raw = attrs[ALIASES]
        texts = [_text(a) for a in raw] if isinstance(raw, list) else None
        if texts is None or any(t is None or not normalise(t) for t in texts):
            problems.append((ALIASES, "应为文字数组,如 [\"执法\"]"))
        else:
            aliases = tuple(texts)
    return Term(str(code), str(name), parent, aliases), problems


def _attrs(item: n.Item) -> dict:
    return dict(item.attrs)


# ---------------------------------------------------------------- merging (resolver)
def merge_entry(list_name: str, inherited: n.Item, inherited_pack: str, item: n.Item
                ) -> tuple[n.Item, Optional[Diagnostic]]:
    """A descendant re-declares an inherited vocabulary entry: it may rename it and
    add aliases; it keeps the inherited parent and aliases (E235 if it names
    another parent). Attributes that do not read well are kept as written, for
    :func:`check` to report."""
    old, new = _attrs(inherited), _attrs(item)
    old_term, old_problems = _term(inherited.code, inherited.name, old)
    new_term, new_problems = _term(item.code, item.name, new)
    readable = {PARENT, ALIASES} - {attr for attr, _ in old_problems + new_problems}
    merged = {**old, **new}
    diag = None
    if PARENT in new and PARENT in readable:
        if new_term.parent != old_term.parent:
            diag = make("E235", item.span, name=list_name, code=item.code, pack=inherited_pack,
                        inherited=old_term.parent or "无(根事项)", parent=new_term.parent or "无(根事项)",
                        notes=[Note(inherited.span, f"{item.code} 在规则包 {inherited_pack} 中声明")])
        if PARENT in old:
            merged[PARENT] = old[PARENT]
        else:
            del merged[PARENT]
    if ALIASES in new and ALIASES in old and ALIASES in readable:
        seen = {normalise(a) for a in old_term.aliases}
        merged[ALIASES] = [*old_term.aliases, *(a for a in new_term.aliases if normalise(a) not in seen)]
    return replace(item, attrs=tuple(merged.items())), diag


# ---------------------------------------------------------------- static checks
def check(merged: MergedList) -> list[Diagnostic]:
    """E230–E234 over a merged vocabulary list: attributes that do not read,
    unknown parents, parent cycles, spellings that name two entries."""
    diags: list[Diagnostic] = []
    name = merged.name
    terms: dict[str, Term] = {}
    spans: dict[str, n.Span] = {}
    for code, (item, _pack) in merged.items.items():
        term, problems = _term(code, item.name, _attrs(item))
        for attr, problem in problems:
            diags.append(make("E234", item.span, name=name, code=code, attr=attr, problem=problem))
        terms[code], spans[code] = term, item.span
    for code, term in terms.items():
        if term.parent is not None and term.parent not in terms:
            diags.append(make("E230", spans[code], name=name, code=code, parent=term.parent,
                              hint=did_you_mean(term.parent, (c for c in terms if c != code))))
    diags += _cycles(name, terms, spans)
    diags += _collisions(name, terms, spans)
    return diags


def _cycles(name: str, terms: Mapping[str, Term], spans: Mapping[str, n.Span]) -> list[Diagnostic]:
    """One E231 per cycle, at the entry of the cycle declared first."""
    diags, done = [], set()
    for start in terms:
        path: list[str] = []
        code: Optional[str] = start
        while code in terms and code not in done and code not in path:
            path.append(code)
            code = terms[code].parent
        if code in path:
            cycle = path[path.index(code):]
            first = min(cycle, key=list(terms).index)
            at = cycle.index(first)
            ordered = cycle[at:] + cycle[:at]
            diags.append(make("E231", spans[first], name=name, cycle=" → ".join(ordered + [first]),
                              notes=[Note(spans[c], f"{c} 的上级是 {terms[c].parent}") for c in ordered[1:]]))
        done.update(path)
    return diags


def _collisions(name: str, terms: Mapping[str, Term], spans: Mapping[str, n.Span]) -> list[Diagnostic]:
    """E232 when a spelling names two entries, E233 when an alias repeats its own code."""
    diags = []
    owner: dict[str, tuple[str, str]] = {}  # normalised spelling -> (entry, description)
    for code in terms:
        key = normalise(code)
        if key in owner:
            other, described = owner[key]
            diags.append(make("E232", spans[code], name=name, code=code, what="代码", text=code, other=described,
                              notes=[Note(spans[other], f"{other} 在此声明")]))
        else:
            owner[key] = (code, f"事项 {code} 的代码")
    for code, term in terms.items():
        for alias in term.aliases:
            key = normalise(alias)
            if key == normalise(code):
                diags.append(make("E233", spans[code], name=name, code=code, alias=alias, hint="请删去这个别名"))
            elif key in owner:
                other, described = owner[key]
                diags.append(make("E232", spans[code], name=name, code=code, what="别名", text=alias,
                                  other=described, notes=[Note(spans[other], f"{other} 在此声明")]))
            else:
                owner[key] = (code, f"事项 {code} 的别名 {alias}")
    return diags


# ---------------------------------------------------------------- the task form
def spellings(merged: MergedList) -> tuple[str, ...]:
    """Codes, then aliases, of a merged vocabulary list: the values a rule or a test may write."""
    terms = [_term(code, item.name, _attrs(item))[0] for code, (item, _pack) in merged.items.items()]
    out = dict.fromkeys(t.code for t in terms)
    for t in terms:
        out.update(dict.fromkeys(t.aliases))
    return tuple(out)


def bind_task_form(form: TaskForm, lists: Mapping[str, MergedList]) -> tuple[TaskForm, list[Diagnostic]]:
    """``form`` with each ``x-vocabulary`` field typed as an enum of its vocabulary's
    spellings, so rules compare it with bare codes (``task.kind in [assessment,
    填报表格]``) and a misspelt value is E217; E236 when the form names a list
    the chain does not have, or one that is not a vocabulary."""
    if not form.vocabularies:
        return form, []
    fields = dict(form.record.fields)
    diags = []
    at = n.Span(form.origin, 1, 1, 1, 1)
    for field, list_name in form.vocabularies.items():
        merged = lists.get(list_name)
        if merged is None:
            known = [m for m, info in lists.items() if info.kind in VOCABULARY_KINDS]
            diags.append(make("E236", at, field=field, name=list_name, problem="规则包中没有这个清单",
                              hint=did_you_mean(list_name, known)))
        elif merged.kind not in VOCABULARY_KINDS:
            diags.append(make("E236", at, field=field, name=list_name,
                              problem=f"它的类别是 {merged.kind},不是词表(应为 {'、'.join(VOCABULARY_KINDS)})"))
        elif fields.get(field) != STR:
            diags.append(make("E236", at, field=field, name=list_name,
                              problem="词表只能用于文字字段(type 为 string,不带 enum)"))
        else:
            fields[field] = Enum(field, spellings(merged))
    record = Record(form.record.name, fields, owner_label=form.record.owner_label)
    return replace(form, record=record), diags


# ---------------------------------------------------------------- a compiled pack
_cache: "weakref.WeakKeyDictionary[object, dict[str, Vocabulary]]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def vocabularies(pack) -> dict[str, Vocabulary]:
    """``{list name: Vocabulary}`` for every vocabulary list of a compiled pack
    (its merged lists, ``pack.lists``), built once per pack object."""
    with _lock:
        found = _cache.get(pack)
    if found is None:
        lists = pack.lists
        found = {name: Vocabulary.from_items(name, info["kind"], lists[name])
                 for name, info in pack.list_info.items() if info["kind"] in VOCABULARY_KINDS}
        with _lock:
            found = _cache.setdefault(pack, found)
    return found


def task_vocabularies(pack) -> dict[str, Vocabulary]:
    """``{task field: Vocabulary}``: the task-form fields of a compiled pack bound with
    ``x-vocabulary`` (the form the pack was compiled with; E236 made sure each list exists)."""
    bound = vocabularies(pack)
    return {field: bound[name] for field, name in pack.task_form.vocabularies.items() if name in bound}
