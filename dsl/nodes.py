"""AST of the rule language: plain, immutable data with source spans.

Every node carries a :class:`Span`; nothing here knows how to parse, check or
evaluate. The parser builds these, the resolver, checker, compiler and
formatter read them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Optional, Union


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns are 1-based."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Span("<builtin>", 0, 0, 0, 0)


# ---------------------------------------------------------------- expressions
@dataclass(frozen=True, slots=True)
class Expr:
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Number(Expr):
    """A number, optionally with a unit: ``18``, ``30 平方米``, ``50 %``."""

    value: Fraction
    unit: Optional[str] = None


@dataclass(frozen=True, slots=True)
class Ratio(Expr):
    """``18 人 per 10000 人``."""

    numerator: Fraction
    numerator_unit: str
    denominator: Fraction
    denominator_unit: str


@dataclass(frozen=True, slots=True)
class RangeLit(Expr):
    """``300..500 户`` (both ends included)."""

    low: Fraction
    high: Fraction
    unit: Optional[str] = None


@dataclass(frozen=True, slots=True)
class String(Expr):
    value: str


@dataclass(frozen=True, slots=True)
class DateLit(Expr):
    value: str  # ISO yyyy-mm-dd, validated by the checker


@dataclass(frozen=True, slots=True)
class Bool(Expr):
    value: bool


@dataclass(frozen=True, slots=True)
class Name(Expr):
    """An identifier: a root (task, target, …), a param, a list, a bound
    variable or an enum symbol such as ``street``."""

    id: str


@dataclass(frozen=True, slots=True)
class Attr(Expr):
    obj: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Index(Expr):
    obj: Expr
    key: Expr


@dataclass(frozen=True, slots=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Quantifier(Expr):
    """``any(x in xs: cond)``, ``all``, ``count`` (body optional), ``sum``."""

    kind: str
    var: str
    iterable: Expr
    body: Optional[Expr]


@dataclass(frozen=True, slots=True)
class SetLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True, slots=True)
class BoolOp(Expr):
    """``and`` / ``or`` over two or more operands (kept flat)."""

    op: str
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Arith(Expr):
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    op: str  # == != < <= > >= in "not in" contains
    left: Expr
    right: Expr


# --------------------------------------------------------------- declarations
@dataclass(frozen=True, slots=True)
class Decl:
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class KindRef(Expr):
    """``kind assist``: every list of that kind along the chain, merged (for ``in``,
    quantifiers and ``+``), whatever each list is named."""

    kind: str


@dataclass(frozen=True, slots=True)
class PackHeader(Decl):
    name: str
    version: Optional[str] = None
    extends: Optional[str] = None
    effective: Optional[str] = None  # ISO date the pack's documents take effect
    documents: Optional[str] = None  # folder of the cited documents, relative to the pack folder


@dataclass(frozen=True, slots=True)
class Title(Decl):
    text: str


@dataclass(frozen=True, slots=True)
class Source(Decl):
    """``source S002 "短标题" file "…" issuer "…" number "…" date 2017-06-12 url "…" full "…"``."""

    id: str
    title: str
    file: Optional[str] = None
    issuer: Optional[str] = None
    number: Optional[str] = None  # 文号, e.g. 中发〔2017〕13号
    date: Optional[str] = None
    url: Optional[str] = None
    full: Optional[str] = None  # the full title
    id_quoted: bool = field(default=False, compare=False)  # written "HB-LIST": the formatter keeps it so


@dataclass(frozen=True, slots=True)
class RequirementDecl(Decl):
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class Param(Decl):
    name: str
    title: Optional[str]
    value: Expr
    policy: Optional[str]  # floor ceiling narrow fixed free; None = inherit / free


@dataclass(frozen=True, slots=True)
class Cite:
    """``cite S002 "四(四)" quote "不得将……"``: the clause and, optionally, its sentence."""

    span: Span = field(compare=False, repr=False)
    source: str = ""
    clause: Optional[str] = None
    quote: Optional[str] = None
    quote_span: Optional[Span] = field(default=None, compare=False, repr=False)


class Symbol(str):
    """A bare word in a record (``level: street``): a string that remembers
    it was written without quotes, so the formatter can keep it so."""

    __slots__ = ()


class DateText(str):
    """A date written as a literal in a record (``deadline: 2024-05-01``)."""

    __slots__ = ()


# A record literal in tests and item attributes: ordered (key, value) pairs;
# values are JSON-like Python data (strings may be Symbol or DateText).
RecordValue = tuple[tuple[str, object], ...]


@dataclass(frozen=True, slots=True)
class Item:
    """``"CODE" "名称" alias "别名" levels 社区, 村 example cite S003 "章节" quote "…"
    requires funding { 部门: "民政" }``: the clauses after the name in any order."""

    span: Span = field(compare=False, repr=False)
    code: str = ""
    name: str = ""
    requires: tuple[str, ...] = ()
    attrs: RecordValue = ()
    aliases: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()  # empty: every level
    example: bool = False  # an illustration, not a published item: decisions say so
    cites: tuple[Cite, ...] = ()
    levels_span: Optional[Span] = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Remove:
    span: Span = field(compare=False, repr=False)
    code: str = ""


@dataclass(frozen=True, slots=True)
class ListDecl(Decl):
    name: str
    title: Optional[str]
    kind: Optional[str]
    kind_span: Optional[Span] = field(compare=False, repr=False)
    cites: tuple[Cite, ...]
    entries: tuple[Union[Item, Remove], ...]

    @property
    def cite(self) -> Optional[Cite]:
        """The first citation of the list, if any."""
        return self.cites[0] if self.cites else None


@dataclass(frozen=True, slots=True)
class Effect:
    span: Span = field(compare=False, repr=False)
    kind: str = "reject"  # reject | require | warn
    codes: tuple[str, ...] = ()  # requirement codes for require (`require funding, work_conditions`)
    message: Optional[str] = None

    @property
    def code(self) -> Optional[str]:
        """The first requirement code (None unless ``require``)."""
        return self.codes[0] if self.codes else None


@dataclass(frozen=True, slots=True)
class Define(Decl):
    """``define 村级组织 "村级组织" = target.level == village or …``: a named
    expression rules use by name, checked once and expanded where used."""

    name: str
    title: Optional[str]
    value: Expr


@dataclass(frozen=True, slots=True)
class Rule(Decl):
    id: str
    title: Optional[str]
    cites: tuple[Cite, ...]
    when: Optional[Expr]
    effects: tuple[Effect, ...]  # the checker insists on exactly one
    overridable: bool
    extra_when: tuple[Expr, ...] = ()  # a second `when` is an error, kept to report it
    # `unknown reject`: an unknown condition rejects (the checker insists on at most one)
    unknown: tuple[Effect, ...] = ()


@dataclass(frozen=True, slots=True)
class Disable(Decl):
    rule: str
    reason: Optional[str]


@dataclass(frozen=True, slots=True)
class Measure:
    span: Span = field(compare=False, repr=False)
    name: str = ""
    title: Optional[str] = None
    value: Optional[Expr] = None


@dataclass(frozen=True, slots=True)
class Export:
    span: Span = field(compare=False, repr=False)
    measure: str = ""
    alias: Optional[str] = None


@dataclass(frozen=True, slots=True)
class StandardExpect:
    span: Span = field(compare=False, repr=False)
    condition: Optional[Expr] = None
    message: Optional[str] = None


@dataclass(frozen=True, slots=True)
class Standard(Decl):
    name: str
    title: Optional[str]
    cites: tuple[Cite, ...]
    levels: tuple[tuple[str, ...], ...]  # one group per `over` clause; exactly one clause expected
    level_span: Optional[Span] = field(compare=False, repr=False)
    where: Optional[Expr]
    measures: tuple[Measure, ...]
    expects: tuple[StandardExpect, ...]
    exports: tuple[Export, ...]


@dataclass(frozen=True, slots=True)
class Expectation:
    """One ``expect`` line of a test.

    kind: ``decision`` (value = admit/conditional/reject, names = rules that
    must be among the fired), ``fires``, ``not_fires``, ``requires``, or
    ``standard`` (names = (standard, passes|fails), record = measures to match).
    """

    span: Span = field(compare=False, repr=False)
    kind: str = "decision"
    value: Optional[str] = None
    names: tuple[str, ...] = ()
    record: RecordValue = ()
    name_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)

    def named(self):
        """(name, span) pairs, for diagnostics."""
        return zip(self.names, self.name_spans)


@dataclass(frozen=True, slots=True)
class Given:
    span: Span = field(compare=False, repr=False)
    root: str = ""  # task | target | history | source | unit
    record: RecordValue = ()


@dataclass(frozen=True, slots=True)
class Test(Decl):
    name: str
    givens: tuple[Given, ...]
    on: Optional[str]
    expectations: tuple[Expectation, ...]
    # the clauses the test proves: `cite S003 "…" quote "…"` or `quote "…"` (a Cite with source "")
    proves: tuple[Cite, ...] = ()


@dataclass(frozen=True, slots=True)
class Comment:
    span: Span
    text: str  # including the leading '#'


@dataclass(frozen=True, slots=True)
class Module:
    """One parsed source file."""

    file: str
    decls: tuple[Decl, ...]
    comments: tuple[Comment, ...] = ()


Declaration = Union[PackHeader, Title, Source, RequirementDecl, Param, ListDecl, Define, Rule, Disable,
                    Standard, Test]
