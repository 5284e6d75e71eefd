"""Completion at a cursor: :func:`completions`.

What may come next is the grammar's answer, not a list kept here: the text of the current
declaration up to the cursor is fed to the parser (:func:`jiceng.dsl.parser.parse_prefix`), and
the terminals it accepts decide. Accepted keywords are offered as they are; where a name is
accepted, the tokens before the cursor say which names fit — a field after ``task.``, a unit
after a number, a source after ``cite``, a requirement code after ``require``, a level after
``over`` or an item's ``levels``, a rule after ``disable`` or ``fires``, and in an expression the
params, named conditions (``define``), lists, facts and functions of the pack's chain
(:mod:`.symbols`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Optional

from lark import Token

from ..checker import GIVEN_ROOTS
from ..effects import DECISIONS
from ..parser import declaration_start, keywords, parse_prefix
from ..resolver import LIST_KINDS
from ..types import LEVEL_LABELS, LEVELS, Enum, Record, Type
from .context import EditorContext
from .paths import bound_vars, path_before, type_of
from .symbols import Symbols, symbols
from .text import offset_at, position_of, word_before

#: what a completion names (the editor picks an icon by it)
KINDS = ("keyword", "list", "param", "field", "function", "unit", "rule", "source", "requirement",
         "variable", "value")
#: the facts a rule reads (``source`` is a keyword of the grammar, offered as one)
ROOTS = {"task": "任务(下派方填写的任务表单)", "target": "接收单位", "history": "历史事实", "today": "决定日期"}
#: keywords after which a name is a new one, which nothing can complete
_NEW_NAME = {"pack", "requirement", "param", "define", "rule", "measure", "as", "test"}
#: keywords that start a comma-separated list of names
_NAME_LISTS = {"require", "requires", "fires", "by", "over", "levels"}
_OPEN = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}


@dataclass(frozen=True)
class Completion:
    """One proposal: ``label`` is the text to insert, ``kind`` one of :data:`KINDS`, ``detail``
    a zh-CN line saying what it is (type, value, title, declaring pack)."""

    label: str
    kind: str
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def completions(source: str, line: int, column: int, context: Optional[EditorContext] = None) -> list[Completion]:
    """What may be written at (``line``, ``column``) (1-based; clamped into the text) of ``source``,
    the context's file: the names and keywords that fit there and begin with the part of a name
    already typed before the cursor. Names come first, then keywords. Never raises for bad text."""
    offset = offset_at(source, line, column)
    start = word_before(source, offset)
    typed = source[start:offset]
    head = source[:start]
    prefix = parse_prefix(head[declaration_start(head):])
    if prefix is None:
        return []
    found: list[Completion] = []
    if "NAME" in prefix.accepts:
        found += _names(list(prefix.tokens), lambda: symbols(source, context))
    found += [Completion(word, "keyword", "关键字") for word, term in sorted(keywords().items())
              if term in prefix.accepts]
    seen: set[str] = set()
    out = []
    for c in found:
        if c.label.startswith(typed) and c.label not in seen:
            seen.add(c.label)
            out.append(c)
    return out


def replace_start(source: str, line: int, column: int) -> tuple[int, int]:
    """(line, column) where the name being typed at the cursor begins: a completion replaces the
    text from there to the cursor."""
    offset = offset_at(source, line, column)
    return position_of(source, word_before(source, offset))


# ---------------------------------------------------------------------- which names fit
def _names(tokens: list[Token], get: Callable[[], Symbols]) -> list[Completion]:
    if not tokens:
        return []
    last = tokens[-1]
    if last.type == "DOT":
        return _fields(tokens, len(tokens) - 1, get())
    if last.type == "NUMBER":
        return _units(get())
    word = "" if last.type == "NAME" else str(last)  # a keyword or punctuation (a rule may be named cite)
    if last.type == "COMMA":
        opener = _list_keyword(tokens)
        if opener is not None:
            word = opener
    by_keyword = _after_keyword(word, tokens, get)
    if by_keyword is not None:
        return by_keyword
    if word in _NEW_NAME or (word == "source" and len(tokens) == 1) or \
            (word == "standard" and (len(tokens) < 2 or str(tokens[-2]) != "expect")):
        return []
    open_at = _innermost_open(tokens)
    if open_at is not None and tokens[open_at].type == "LBRACE":
        return _record_names(tokens, open_at, get())
    return _expression(tokens, get())


def _after_keyword(word: str, tokens: list[Token], get: Callable[[], Symbols]) -> Optional[list[Completion]]:
    """The names that follow ``word`` (a keyword, or the keyword a name list began with), or None
    when the keyword does not decide."""
    if word == "cite":
        return [Completion(sid, "source", f"{title} — {pack}") for sid, (title, pack) in get().sources.items()]
    if word in ("require", "requires"):
        return [Completion(code, "requirement", label) for code, label in get().requirements.items()]
    if word in ("fires", "by"):
        return [Completion(r.id, "rule", r.detail) for r in get().rules.values()]
    if word == "disable":
        s = get()
        return [Completion(r.id, "rule", r.detail) for r in s.rules.values()
                if r.overridable and r.pack != s.tenant and not r.disabled]
    if word == "kind":
        return [Completion(k, "value", label) for k, label in LIST_KINDS.items()]
    if word in ("over", "levels"):  # an item's levels may also be spelled 社区, 村: the codes are offered
        return [Completion(level, "value", LEVEL_LABELS[level]) for level in LEVELS]
    if word == "given" or (word == "}" and _in_given(tokens)):
        return [Completion(root, "variable", "") for root in GIVEN_ROOTS]
    if word == "extends":
        parent = get().parent
        return [Completion(parent, "value", "租户登记中的上级")] if parent else []
    if word == "list":
        return [Completion(x.name, "list", x.detail) for x in get().lists.values()]
    if word == "expect" and tokens[0].type == "TEST":
        # reject is a keyword of the grammar, offered as one
        return [Completion(d, "value", "判定结论") for d in DECISIONS if d != "reject"]
    if word == "standard" and len(tokens) > 1 and str(tokens[-2]) == "expect":
        return [Completion(name, "value", s.title or "标准") for name, s in get().standards.items()]
    if word == "export":
        return [Completion(name, "variable", "指标") for name in _measures(tokens)] + \
            [Completion("compliant", "variable", "是否达标")]
    return None


def _in_given(tokens: list[Token]) -> bool:
    """Whether a ``given`` clause is being written (another ``root {…}`` may follow)."""
    for t in reversed(tokens):
        if t.type in ("GIVEN", "ON", "EXPECT"):
            return t.type == "GIVEN"
    return False


def _list_keyword(tokens: list[Token]) -> Optional[str]:
    """The keyword a comma-separated list of names began with (``requires a, b,``), if any."""
    i = len(tokens) - 1
    while i >= 0 and (tokens[i].type in ("COMMA", "NAME")):
        i -= 1
    return str(tokens[i]) if i >= 0 and str(tokens[i]) in _NAME_LISTS else None


def _innermost_open(tokens: list[Token]) -> Optional[int]:
    """The index of the innermost bracket still open at the end."""
    stack: list[int] = []
    for i, t in enumerate(tokens):
        if t.type in _OPEN:
            stack.append(i)
        elif t.type in _OPEN.values() and stack:
            stack.pop()
    return stack[-1] if stack else None


# ---------------------------------------------------------------------- records
def _record_names(tokens: list[Token], open_at: int, s: Symbols) -> list[Completion]:
    """Keys and values inside ``{ … }`` of a test: ``given task { … }``, ``with { … }``."""
    before = tokens[open_at - 1] if open_at > 0 else None
    last = tokens[-1]
    if before is None:
        return []
    if str(before) == "with":
        # expect standard <name> <passes|fails> with {
        std = s.standards.get(str(tokens[open_at - 3])) if open_at >= 4 else None
        if last.type in ("LBRACE", "COMMA") and std is not None:
            return [Completion(m.name, "field", m.title or "指标") for m in std.measures] + \
                [Completion("compliant", "field", "是否达标")]
        return []
    if before.type != "NAME" or str(before) not in s.records:
        return []
    record = s.records[str(before)]
    if last.type in ("LBRACE", "COMMA"):
        return _record_fields(record, str(before), s)
    if last.type == "COLON" and len(tokens) >= 2 and tokens[-2].type == "NAME":
        return _values(record.fields.get(str(tokens[-2])))
    return []


def _record_fields(record: Record, root: str, s: Symbols) -> list[Completion]:
    out = []
    for name, t in record.fields.items():
        detail = str(t)
        if root == "history" and name in s.registry.history:
            detail = f"{t} {s.registry.history[name].doc}".strip()
        out.append(Completion(name, "field", detail))
    return out


def _values(t: Optional[Type]) -> list[Completion]:
    """The values of an enum (``target.level == street``)."""
    if not isinstance(t, Enum):
        return []
    labels = LEVEL_LABELS if t.values == LEVELS else {}
    return [Completion(v, "value", labels.get(v, t.name)) for v in t.values]


# ---------------------------------------------------------------------- expressions
def _expression(tokens: list[Token], s: Symbols) -> list[Completion]:
    """Everything an expression can name here: enum values the comparison wants first, then
    the variables in scope, the params, lists, facts and functions."""
    out: list[Completion] = []
    last = tokens[-1]
    if last.type in ("COMP_OP", "IN", "CONTAINS"):
        out += _values(type_of(path_before(tokens, len(tokens) - 1), tokens, s))
    elif last.type in ("LSQB", "COMMA"):
        open_at = _innermost_open(tokens)
        if open_at is not None and tokens[open_at].type == "LSQB" and open_at > 0 and tokens[open_at - 1].type == "IN":
            out += _values(type_of(path_before(tokens, open_at - 1), tokens, s))
    in_standard = tokens[0].type == "STANDARD"
    out += [Completion(var, "variable", "量词变量") for var in bound_vars(tokens)]
    if in_standard:
        out += [Completion(m, "variable", "指标") for m in _measures(tokens)]
        out.append(Completion("unit", "variable", "被评价单位"))
    out += [Completion(root, "variable", label) for root, label in ROOTS.items()]
    out += [Completion(p.name, "param", p.detail) for p in s.params.values()]
    out += [Completion(d.name, "variable", d.detail) for d in s.defines.values()]
    out += [Completion(x.name, "list", x.detail) for x in s.lists.values()]
    out += [Completion(f.name, "function", f.doc) for f in s.registry.functions.values()]
    return out


def _units(s: Symbols) -> list[Completion]:
    out = []
    for name in s.registry.units.names():
        u = s.registry.units.get(name)
        if u.name != name:
            detail = f"单位,同 {u.name}"
        elif u.factor != 1:
            detail = f"单位,= {u.factor} {u.base}"
        else:
            detail = "单位"
        out.append(Completion(name, "unit", detail))
    return out


def _fields(tokens: list[Token], dot: int, s: Symbols) -> list[Completion]:
    """The fields after ``path.``."""
    path = path_before(tokens, dot)
    t = type_of(path, tokens, s)
    if isinstance(t, Record):
        root = path[0] if path and isinstance(path[0], str) else ""
        return _record_fields(t, root if len(path) == 1 else "", s)
    return []


def _measures(tokens: Iterable[Token]) -> list[str]:
    """The measures declared so far in the standard being written."""
    tokens = list(tokens)
    return [str(tokens[i + 1]) for i, t in enumerate(tokens[:-1]) if t.type == "MEASURE" and tokens[i + 1].type == "NAME"]
