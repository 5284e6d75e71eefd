"""Source text -> :class:`~.nodes.Module`, with positions and recoverable errors.

Built on Lark's public API alone. ``Lark(grammar, parser="lalr",
transformer=AstBuilder())`` reads ``grammar.lark`` once; each parse is an
interactive parser (``Lark.parse_interactive()``) that this module feeds one
token at a time with ``feed_token``:

* scanning is one compiled regular expression, and a word is a keyword only
  where the parser's current state accepts that keyword
  (``InteractiveParser.choices()``), so ``rule test`` names a rule ``test``.
  Lark's own contextual lexer decides per state too, but it would read
  ``thenx`` as ``then`` + ``x`` and ``==`` as two ``=`` where only those fit,
  moving the position of syntax errors;
* the inline transformer (:class:`AstBuilder`) builds nodes as Lark reduces,
  without a parse tree and without Python recursion (5,000 nested ``not`` end
  as a clean ``E105``, not a RecursionError);
* every node's span runs from its first token to its last — what Lark's
  ``propagate_positions`` computes for trees, which Lark does not offer to an
  inline transformer.

A 2,000-rule pack parses in about 0.3 s (see benchmarks/run.py).

Recovery: when a file has a syntax error, it is parsed again declaration by
declaration (a declaration starts on a line whose first word is a declaration
keyword), so one run reports every broken declaration.
"""
from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Optional

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedToken

from . import nodes as n
from .diagnostics import Diagnostic, make

MAX_DEPTH = 64           # expression nesting; deeper input ends in E105
MAX_FILE_BYTES = 2 << 20  # 2 MiB per file (a 2,000-rule pack is ~0.3 MiB); larger ends in E106
# Bounds on what one file costs to parse, checked while scanning, before Lark sees the excess:
# a parse costs ~10 µs a token, and openers (`(`, `[`, `{`) and prefix operators (`not`,
# unary `-`) pile up on the parser's stack without any reduction to check their depth,
# so a 1 MiB draft of `(` used to take seconds to refuse.
MAX_TOKENS = 100_000     # per file (the largest shipped file has ~2,000; a 2,000-rule pack ~53,000); E108
MAX_PACK_TOKENS = 120_000  # all files of one pack together (checked by the resolver), so a draft of many files
                           # parses in about a second at worst; E108
MAX_OPEN = 10_000        # openers and prefix operators not yet closed or followed by an operand; E105

DECL_KEYWORDS = ("pack", "title", "source", "requirement", "param", "list", "define", "rule", "disable",
                 "standard", "test")

_SCAN = re.compile(r"""
   (?P<ws>[ \t\r\n\f\u3000\ufeff]+)
 | (?P<comment>\#[^\n]*)
 | (?P<string>"(?:[^"\\\n]|\\.)*")
 | (?P<badstring>"(?:[^"\\\n]|\\.)*)
 | (?P<date>\d{4}-\d{2}-\d{2}(?!\d))
 | (?P<number>\d+(?:\.\d+)?)
 | (?P<name>[^\W\d]\w*)
 | (?P<op>\.\.|==|!=|<=|>=|[<>+\-*/%()\[\]{},:.=])
""", re.VERBOSE)

_COMPARISONS = {"==", "!=", "<=", ">=", "<", ">"}
_OPENERS, _CLOSERS = frozenset("([{"), frozenset(")]}")
_UPPER = {"string": "STRING", "date": "DATE", "number": "NUMBER"}

# Human names of terminals, for "expected ..." in syntax errors; shown in this order.
_TERMINAL_NAMES = {"NAME": "名称", "STRING": "带引号的文字", "NUMBER": "数字", "DATE": "日期",
                   "COMP_OP": "比较符", "$END": "文件结尾"}


class LexError(Exception):
    """Text no token starts with (E101) or a string without its closing quote (E104)."""

    def __init__(self, code: str, line: int, column: int, **fields):
        self.code, self.line, self.column, self.fields = code, line, column, fields


class SyntaxMismatch(Exception):
    """A token the grammar does not allow where it stands, with the terminals
    that would have fit there."""

    def __init__(self, token: Token, expected):
        self.token, self.expected = token, {str(t) for t in expected}


class NestingTooDeep(Exception):
    """An expression nested deeper than :data:`MAX_DEPTH`, or text with more than
    :data:`MAX_OPEN` openers and prefix operators pending (E105)."""

    def __init__(self, span: n.Span, limit: int = MAX_DEPTH):
        self.span, self.limit = span, limit


class _ParseState(threading.local):
    """Per-thread, per-parse state: the builder is shared by all parses."""

    file = "<string>"
    comments: list
    depth: dict

    def reset(self, file: str):
        self.file = file
        self.comments = []
        self.depth = {}


_state = _ParseState()


# ------------------------------------------------------------------ building
class _Part:
    """An intermediate result of a grammar rule that is not an AST node."""

    __slots__ = ("span", "value")

    def __init__(self, span: n.Span, value):
        self.span, self.value = span, value


def _start(x) -> tuple[int, int]:
    if isinstance(x, Token):
        return x.line, x.column
    return x.span.line, x.span.column


def _end(x) -> tuple[int, int]:
    if isinstance(x, Token):
        return x.end_line, x.end_column
    return x.span.end_line, x.span.end_column


def _span(children) -> n.Span:
    (l1, c1), (l2, c2) = _start(children[0]), _end(children[-1])
    return n.Span(_state.file, l1, c1, l2, c2)


def _tok_span(t: Token) -> n.Span:
    return n.Span(_state.file, t.line, t.column, t.end_line, t.end_column)


def unescape(literal: str) -> str:
    """The value of a ``"..."`` literal: ``\\"``, ``\\\\``, ``\\n``, ``\\t``."""
    body = literal[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _nodes(children):
    return [c for c in children if not isinstance(c, Token)]


def _toks(children, *types):
    return [c for c in children if isinstance(c, Token) and c.type in types]


def _str(children) -> Optional[str]:
    s = _toks(children, "STRING")
    return unescape(s[0]) if s else None


def _deep(node: n.Expr, *children) -> n.Expr:
    """``node``, after checking its nesting depth against :data:`MAX_DEPTH`.

    Nodes are immutable, so the depth of each lives beside it, by id, for the
    duration of one parse."""
    depth = _state.depth
    d = 1 + max((depth.get(id(c), 1) for c in children), default=0)
    if d > MAX_DEPTH:
        raise NestingTooDeep(node.span)
    depth[id(node)] = d
    return node


def _boolop(op, c):
    operands = tuple(_nodes(c))
    return _deep(n.BoolOp(_span(c), op, operands), *operands)


def _compare(op, c):
    left, right = c[0], c[-1]
    return _deep(n.Compare(_span(c), op, left, right), left, right)


def _arith(c):
    node = c[0]
    for i in range(1, len(c), 2):
        right = c[i + 1]
        span = n.Span(_state.file, node.span.line, node.span.column, right.span.end_line,
                      right.span.end_column)
        node = _deep(n.Arith(span, str(c[i]), node, right), node, right)
    return node


def _names_expectation(kind, c, part):
    names, spans = part.value
    return n.Expectation(_span(c), kind, None, names, (), spans)


class AstBuilder(Transformer):
    """The inline transformer Lark calls on each reduction: one method per
    grammar rule or alias, each given the children (tokens included) and
    returning an AST node or a :class:`_Part`."""

    # -- file
    def start(self, children):
        return list(children)

    # -- header
    def pack_decl(self, c):
        name = c[1]
        opts = dict(p.value for p in _nodes(c))
        return n.PackHeader(_span(c), str(name), opts.get("version"), opts.get("extends"),
                            opts.get("effective"), opts.get("documents"))

    def pack_version(self, c):
        return _Part(_span(c), ("version", _str(c)))

    def pack_extends(self, c):
        return _Part(_span(c), ("extends", str(c[1])))

    def pack_effective(self, c):
        return _Part(_span(c), ("effective", str(c[1])))

    def pack_documents(self, c):
        return _Part(_span(c), ("documents", _str(c)))

    def title_decl(self, c):
        return n.Title(_span(c), _str(c))

    def source_decl(self, c):
        opts = dict(p.value for p in _nodes(c))
        quoted = c[1].type == "STRING"
        return n.Source(_span(c), _source_id(c[1]), unescape(c[2]), opts.get("file"), opts.get("issuer"),
                        opts.get("number"), opts.get("date"), opts.get("url"), opts.get("full"), quoted)

    def source_file(self, c):
        return _Part(_span(c), ("file", _str(c)))

    def source_issuer(self, c):
        return _Part(_span(c), ("issuer", _str(c)))

    def source_number(self, c):
        return _Part(_span(c), ("number", _str(c)))

    def source_date(self, c):
        return _Part(_span(c), ("date", str(c[1])))

    def source_url(self, c):
        return _Part(_span(c), ("url", _str(c)))

    def source_full(self, c):
        return _Part(_span(c), ("full", _str(c)))

    def requirement_decl(self, c):
        return n.RequirementDecl(_span(c), str(c[1]), unescape(c[2]))

    def param_decl(self, c):
        parts = _nodes(c)
        value = next(p for p in parts if isinstance(p, n.Expr))
        policy = next((p.value for p in parts if isinstance(p, _Part)), None)
        title = unescape(c[2]) if c[2].type == "STRING" else None
        return n.Param(_span(c), str(c[1]), title, value, policy)

    def policy(self, c):
        return _Part(_span(c), str(c[0]))

    # -- lists
    def list_decl(self, c):
        title = unescape(c[2]) if isinstance(c[2], Token) and c[2].type == "STRING" else None
        kind = next((p for p in _nodes(c) if isinstance(p, _Part)), None)
        cites = tuple(p for p in _nodes(c) if isinstance(p, n.Cite))
        entries = tuple(p for p in _nodes(c) if isinstance(p, (n.Item, n.Remove)))
        return n.ListDecl(_span(c), str(c[1]), title, kind.value if kind else None,
                          kind.span if kind else None, cites, entries)

    def list_kind(self, c):
        return _Part(_tok_span(c[1]), str(c[1]))

    def item(self, c):
        code = unescape(c[0]) if c[0].type == "STRING" else str(c[0])
        requires, attrs, aliases, levels, example, cites, levels_span = (), (), [], (), False, [], None
        for p in c[2:]:
            if isinstance(p, n.Cite):
                cites.append(p)
            elif isinstance(p, _Item):
                tag, value = p.value
                if tag == "requires":
                    requires += value
                elif tag == "alias":
                    aliases.append(value)
                elif tag == "levels":
                    levels += value
                    levels_span = levels_span or p.span
                else:
                    example = True
            elif isinstance(p, _Part):  # the attribute record
                attrs += p.value
        return n.Item(_span(c), code, unescape(c[1]), requires, attrs, tuple(aliases), levels, example,
                      tuple(cites), levels_span)

    def item_alias(self, c):
        return _Item(_span(c), ("alias", _str(c)))

    def item_levels(self, c):
        return _Item(_span(c), ("levels", tuple(str(t) for t in _toks(c, "NAME"))))

    def item_example(self, c):
        return _Item(_span(c), ("example", True))

    def item_cite(self, c):
        return self.cite(c)

    def remove(self, c):
        code = unescape(c[1]) if c[1].type == "STRING" else str(c[1])
        return n.Remove(_span(c), code)

    def requires(self, c):
        return _Item(_span(c), ("requires", tuple(str(t) for t in _toks(c, "NAME"))))

    # -- named conditions
    def define_decl(self, c):
        title = unescape(c[2]) if isinstance(c[2], Token) and c[2].type == "STRING" else None
        value = next(p for p in _nodes(c) if isinstance(p, n.Expr))
        return n.Define(_span(c), str(c[1]), title, value)

    # -- rules
    def rule_decl(self, c):
        title = unescape(c[2]) if len(c) > 2 and isinstance(c[2], Token) and c[2].type == "STRING" else None
        cites, whens, effects, unknown, overridable = [], [], [], [], False
        for p in _nodes(c):
            if isinstance(p, n.Cite):
                cites.append(p)
            elif p.value[0] == "when":
                whens.append(p.value[1])
            elif p.value[0] == "then":
                effects.append(p.value[1])
            elif p.value[0] == "unknown":
                unknown.append(p.value[1])
            else:
                overridable = True
        return n.Rule(_span(c), str(c[1]), title, tuple(cites), whens[0] if whens else None,
                      tuple(effects), overridable, tuple(whens[1:]), tuple(unknown))

    def when(self, c):
        return _Part(_span(c), ("when", c[1]))

    def then(self, c):
        return _Part(_span(c), ("then", c[1]))

    def overridable(self, c):
        return _Part(_span(c), ("overridable",))

    def unknown_clause(self, c):
        span = _span(c)
        return _Part(span, ("unknown", n.Effect(span, "reject", (), _str(c[2:]))))

    def cite(self, c):
        quote = next((p for p in _nodes(c) if isinstance(p, _Part)), None)
        return n.Cite(_span(c), _source_id(c[1]), _str(c[2:]), quote.value if quote else None,
                      quote.span if quote else None)

    def quote(self, c):
        return _Part(_tok_span(c[1]), unescape(c[1]))

    def reject(self, c):
        return n.Effect(_span(c), "reject", (), _str(c))

    def require(self, c):
        return n.Effect(_span(c), "require", tuple(str(t) for t in _toks(c[1:], "NAME")), _str(c[2:]))

    def warn(self, c):
        return n.Effect(_span(c), "warn", (), _str(c))

    def disable_decl(self, c):
        return n.Disable(_span(c), str(c[1]), _str(c[2:]))

    # -- standards
    def standard_decl(self, c):
        title = unescape(c[2]) if len(c) > 2 and isinstance(c[2], Token) and c[2].type == "STRING" else None
        cites, levels, level_span, where = [], [], None, None
        measures, expects, exports = [], [], []
        for p in _nodes(c):
            if isinstance(p, n.Cite):
                cites.append(p)
            elif isinstance(p, n.Measure):
                measures.append(p)
            elif isinstance(p, n.StandardExpect):
                expects.append(p)
            elif isinstance(p, n.Export):
                exports.append(p)
            else:  # over
                levels.append(p.value[0])
                level_span = level_span or p.span
                where = where or p.value[1]
        return n.Standard(_span(c), str(c[1]), title, tuple(cites), tuple(levels), level_span, where,
                          tuple(measures), tuple(expects), tuple(exports))

    def over(self, c):
        where = next((p.value for p in _nodes(c)), None)
        levels = tuple(str(t) for t in _toks(c, "NAME"))
        return _Part(_span(_toks(c, "NAME")), (levels, where))

    def over_where(self, c):
        return _Part(_span(c), c[1])

    def measure(self, c):
        expr = next(p for p in _nodes(c) if isinstance(p, n.Expr))
        return n.Measure(_span(c), str(c[1]), _str(c[2:3]), expr)

    def std_expect(self, c):
        return n.StandardExpect(_span(c), c[1], _str(c[2:]))

    def export(self, c):
        alias = next((p.value for p in _nodes(c)), None)
        return n.Export(_span(c), str(c[1]), alias)

    def export_as(self, c):
        return _Part(_span(c), str(c[1]))

    # -- tests
    def test_decl(self, c):
        givens, on, expectations, proves = [], None, [], []
        for p in _nodes(c):
            if isinstance(p, n.Given):
                givens.append(p)
            elif isinstance(p, n.Expectation):
                expectations.append(p)
            elif isinstance(p, list):
                givens.extend(p)
            elif isinstance(p, n.Cite):
                proves.append(p)
            elif isinstance(p, _Part) and isinstance(p.value, str) and not _is_date_part(p):
                proves.append(n.Cite(p.span, "", None, p.value, p.span))  # `quote "…"` alone
            else:
                on = p.value
        return n.Test(_span(c), unescape(c[1]), tuple(givens), on, tuple(expectations), tuple(proves))

    def given(self, c):
        return [p for p in _nodes(c)]

    def given_part(self, c):
        return n.Given(_span(c), str(c[0]), c[1].value)

    def on_date(self, c):
        return _OnDate(_span(c), str(c[1]))

    def test_stmt(self, c):  # "expect" expectation
        e = c[1]
        return n.Expectation(_span(c), e.kind, e.value, e.names, e.record, e.name_spans)

    def expect_decision(self, c):
        word = c[0].value
        names, spans = c[1].value if len(c) > 1 else ((), ())
        return n.Expectation(_span(c), "decision", str(word), names, (), spans)

    def decision_word(self, c):
        return _Part(_span(c), str(c[0]))

    def by(self, c):
        return _Part(_span(c), c[1].value)

    def name_list(self, c):
        tokens = _toks(c, "NAME")
        return _Part(_span(c), (tuple(str(t) for t in tokens), tuple(_tok_span(t) for t in tokens)))

    def expect_fires(self, c):
        return _names_expectation("fires", c, c[1])

    def expect_not_fires(self, c):
        return _names_expectation("not_fires", c, c[2])

    def expect_requires(self, c):
        return _names_expectation("requires", c, c[1])

    def expect_standard(self, c):
        measures = c[3].value if len(c) > 3 else ()
        return n.Expectation(_span(c), "standard", str(c[2]), (str(c[1]), str(c[2])), measures,
                             (_tok_span(c[1]), _tok_span(c[2])))

    def record_with(self, c):
        return _Part(_span(c), c[1].value)

    def record(self, c):
        return _Part(_span(c), tuple(p.value for p in _nodes(c)))

    def field(self, c):
        key = unescape(c[0]) if c[0].type == "STRING" else str(c[0])
        return _Part(_span(c), (key, c[2].value))

    def v_string(self, c):
        return _Part(_span(c), unescape(c[0]))

    def v_number(self, c):
        return _Part(_span(c), _json_number(c[0]))

    def v_negative(self, c):
        return _Part(_span(c), -_json_number(c[1]))

    def v_date(self, c):
        return _Part(_span(c), n.DateText(c[0]))

    def v_true(self, c):
        return _Part(_span(c), True)

    def v_false(self, c):
        return _Part(_span(c), False)

    def v_null(self, c):
        return _Part(_span(c), None)

    def v_symbol(self, c):
        return _Part(_span(c), n.Symbol(c[0]))

    def v_array(self, c):
        return _Part(_span(c), [p.value for p in _nodes(c)])

    # -- expressions
    def or_expr(self, c):
        return _boolop("or", c)

    def and_expr(self, c):
        return _boolop("and", c)

    def not_(self, c):
        return _deep(n.Not(_span(c), c[1]), c[1])

    def compare(self, c):
        return _compare(str(c[1]), c)

    def in_(self, c):
        return _compare("in", c)

    def not_in(self, c):
        return _compare("not in", c)

    def contains(self, c):
        return _compare("contains", c)

    def sum(self, c):
        return _arith(c)

    def product(self, c):
        return _arith(c)

    def neg(self, c):
        return _deep(n.Neg(_span(c), c[1]), c[1])

    def attr(self, c):
        return _deep(n.Attr(_span(c), c[0], str(c[2])), c[0])

    def index(self, c):
        return _deep(n.Index(_span(c), c[0], c[2]), c[0], c[2])

    def number(self, c):
        return n.Number(_span(c), Fraction(str(c[0])))

    def quantity(self, c):
        return n.Number(_span(c), Fraction(str(c[0])), c[1].value)

    def unit(self, c):
        return _Part(_span(c), str(c[0]))

    def ratio(self, c):
        return n.Ratio(_span(c), Fraction(str(c[0])), c[1].value, Fraction(str(c[3])), c[4].value)

    def range(self, c):
        unit = c[3].value if len(c) > 3 else None
        return n.RangeLit(_span(c), Fraction(str(c[0])), Fraction(str(c[2])), unit)

    def string(self, c):
        return n.String(_span(c), unescape(c[0]))

    def date(self, c):
        return n.DateLit(_span(c), str(c[0]))

    def true(self, c):
        return n.Bool(_span(c), True)

    def false(self, c):
        return n.Bool(_span(c), False)

    def name(self, c):
        return n.Name(_span(c), str(c[0]))

    def source_root(self, c):
        return n.Name(_span(c), "source")

    def kind_ref(self, c):
        return n.KindRef(_span(c), str(c[1]))

    def call(self, c):
        args = tuple(p for p in _nodes(c))
        return _deep(n.Call(_span(c), str(c[0]), args), *args)

    def quantifier(self, c):
        parts = _nodes(c)  # [kind token via quant_kw, iterable, body?]
        kind = str(c[0])
        var = str(c[2])
        iterable = parts[0]
        body = parts[1] if len(parts) > 1 else None
        node = n.Quantifier(_span(c), kind, var, iterable, body)
        return _deep(node, *parts)

    def quant_kw(self, c):
        return c[0]

    def set_literal(self, c):
        items = tuple(_nodes(c))
        return _deep(n.SetLit(_span(c), items), *items)

    def atom(self, c):  # "(" expr ")"
        return c[1]


class _Item(_Part):
    """A clause of a list item after its name (requires, alias, levels, example)."""

    __slots__ = ()


class _OnDate(_Part):
    """A test's ``on DATE``."""

    __slots__ = ()


def _is_date_part(p) -> bool:
    return isinstance(p, _OnDate)


def _source_id(tok: Token) -> str:
    """A source id as written: a name, or a quoted text such as ``"HB-LIST"``."""
    return unescape(tok) if tok.type == "STRING" else str(tok)


def _json_number(tok: Token):
    text = str(tok)
    return float(text) if "." in text else int(text)


# ------------------------------------------------------------------ number bounds
#: The largest magnitude a number literal may have, and its most decimal
#: places. Checked in the scanner, before any conversion: Python's int()
#: refuses more than 4,300 digits and float() overflows past ~1e308, and
#: either used to escape as an exception. 10^15 (a thousand trillion 元)
#: exceeds any count, area or amount a rule needs, and ×10,000 (万元 → 元)
#: still converts to a float exactly enough; 6 places cover percentages
#: like 0.000001 and keep the compiled float a faithful copy of the literal.
MAX_NUMBER = 10 ** 15
MAX_DECIMALS = 6
_MAX_NUMBER_TEXT = 64  # characters; longer text is refused without reading it


def number_problem(text: str) -> Optional[str]:
    """Why the number literal ``text`` (digits, optionally ``.digits``) is out
    of bounds (zh-CN), or None when it is within them."""
    whole, _, decimals = text.partition(".")
    digits = whole.lstrip("0")  # compared by length first: int() only sees ≤ 16 digits
    if len(digits) > 16 or (digits and int(digits) > MAX_NUMBER) or \
            (digits and int(digits) == MAX_NUMBER and decimals.strip("0")):
        return f"绝对值不能超过 10^15({MAX_NUMBER})"
    if len(decimals.rstrip("0")) > MAX_DECIMALS:
        return f"小数最多 {MAX_DECIMALS} 位"
    if len(text) > _MAX_NUMBER_TEXT:  # only padding zeros are left to make it long
        return f"写法过长(超过 {_MAX_NUMBER_TEXT} 个字符)"
    return None


def _shorten(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# ------------------------------------------------------------------ the language
TABLES_FILE = Path(__file__).with_name("__pycache__") / f"grammar.{sys.implementation.cache_tag}.lark-tables"


def _tables_cache(write: bool = False) -> Optional[str]:
    """Where Lark keeps the parse tables it built (its public ``cache`` option), or None.

    Building them is about a quarter of a second of every new process (a CLI command, an
    impact worker, a standards run). The file sits in this package's ``__pycache__``, beside
    the bytecode Python writes there, and is trusted as that bytecode is (Lark unpickles it);
    Lark keys it by the grammar, the options, its own version and Python's, and builds the
    tables afresh (and writes them again) when any differs or the file cannot be read. As
    with bytecode, a file that is there is read; a new one is written only where Python
    writes bytecode (not under ``PYTHONDONTWRITEBYTECODE``) — or by
    :func:`write_parse_tables`, which ``make install`` runs."""
    if not (write or TABLES_FILE.exists() or not sys.dont_write_bytecode):
        return None
    try:
        TABLES_FILE.parent.mkdir(exist_ok=True)
    except OSError:
        return None
    return str(TABLES_FILE)


def write_parse_tables() -> Path:
    """Build the parse tables and keep them for the processes to come (see :func:`_tables_cache`)."""
    _Language(write=True)
    return TABLES_FILE


class _Language:
    """The Lark parser for ``grammar.lark``, and how our scanner's words and
    punctuation map onto its terminals."""

    def __init__(self, write: bool = False):
        grammar = Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")
        # The lexer Lark builds here goes unused: tokens come from _SCAN.
        # keep_all_tokens: keywords and punctuation reach the builder, so a
        # node's span can start and end on them.
        self.lark = Lark(grammar, parser="lalr", lexer="basic", transformer=AstBuilder(),
                         keep_all_tokens=True, maybe_placeholders=False, cache=_tables_cache(write) or False)
        self.keywords: dict[str, str] = {}
        self.punctuation: dict[str, str] = {op: "COMP_OP" for op in _COMPARISONS}
        self.literals: dict[str, str] = {}  # terminal -> its text, for messages
        for term in self.lark.terminals:
            if term.pattern.type == "str":
                value = term.pattern.value
                self.literals[term.name] = value
                (self.keywords if value[0].isalpha() else self.punctuation)[value] = term.name


@lru_cache(maxsize=1)
def _language() -> _Language:
    """The parser, built on first use (its tables read from Lark's cache, see
    :func:`_tables_cache`) and shared by all threads: each parse has its own
    interactive parser state."""
    return _Language()


def _terminals(choices: dict) -> list[str]:
    """The token types a parser state accepts (its other keys are rules, for gotos)."""
    return [str(k) for k in choices if k.isupper()]


def _run(text: str, line_offset: int, fed: Optional[list] = None):
    """Scan ``text`` and feed its tokens to a fresh interactive parser;
    returns the declarations. Given ``fed``, the text is a prefix (what
    precedes an editor's cursor): the tokens are appended to ``fed`` and the
    parser is returned in the state after the last one, without the end."""
    lang = _language()
    keywords, punctuation = lang.keywords, lang.punctuation
    parser = lang.lark.parse_interactive()
    feed, choices = parser.feed_token, parser.choices
    if fed is not None:
        def feed(token, _feed=parser.feed_token):
            _feed(token)
            fed.append(token)
    # A keyword read as a name because no keyword fits here (`a > then`) is the
    # likely culprit if the very next token fails: report the error there.
    demoted: Optional[tuple] = None
    file, comments = _state.file, _state.comments
    match = _SCAN.match
    pos, size = 0, len(text)
    line, line_start = 1 + line_offset, 0
    # Openers not yet closed plus the current run of prefix operators: what the parser's stack
    # holds unreduced. Over MAX_OPEN the input is refused here (E105) instead of after the rest.
    open_brackets = prefix_run = 0

    while pos < size:
        m = match(text, pos)
        if m is None:
            raise LexError("E101", line, pos - line_start + 1, char=text[pos])
        kind = m.lastgroup
        value = m.group()
        column = pos - line_start + 1
        start, pos = pos, m.end()
        if kind == "ws" or kind == "comment":
            if kind == "comment":
                comments.append(n.Comment(n.Span(file, line, column, line, column + len(value)), value))
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = start + value.rindex("\n") + 1
            continue
        was_demoted, demoted = demoted, None
        pending = False  # did this token add to what is pending?
        if kind == "name":
            ttype = keywords.get(value)
            if ttype is not None:
                accepted = choices()
                if ttype not in accepted:
                    demoted = (value, start, line, column, _terminals(accepted))
                    ttype = "NAME"
            else:
                ttype = "NAME"
            if value == "not" and ttype != "NAME":
                prefix_run += 1
                pending = True
            else:
                prefix_run = 0
        elif kind == "op":
            ttype = punctuation.get(value)
            if ttype is None:  # an operator the grammar does not use
                raise LexError("E101", line, column, char=value)
            if value in _OPENERS:
                open_brackets += 1
                pending = True
            elif value == "-":
                prefix_run += 1
                pending = True
            elif value in _CLOSERS:
                open_brackets, prefix_run = max(open_brackets - 1, 0), 0
            else:
                prefix_run = 0
        elif kind == "badstring":
            raise LexError("E104", line, column)
        elif kind == "number":
            problem = number_problem(value)
            if problem is not None:
                raise LexError("E109", line, column, value=_shorten(value), reason=problem)
            ttype = "NUMBER"
            prefix_run = 0
        else:
            ttype = _UPPER[kind]
            prefix_run = 0
        if pending and open_brackets + prefix_run > MAX_OPEN:
            raise NestingTooDeep(n.Span(file, line, column, line, column + len(value)), MAX_OPEN)
        try:
            feed(Token(ttype, value, start, line, column, line, column + len(value), pos))
        except UnexpectedToken as e:
            if was_demoted is None:
                raise SyntaxMismatch(e.token, e.expected) from None
            word, w_start, w_line, w_column, expected = was_demoted
            raise SyntaxMismatch(Token("NAME", word, w_start, w_line, w_column, w_line, w_column + len(word),
                                       w_start + len(word)), expected) from None
    if fed is not None:
        return parser
    end_column = pos - line_start + 1
    try:
        return feed(Token("$END", "", pos, line, end_column, line, end_column + 1, pos))
    except UnexpectedToken as e:
        raise SyntaxMismatch(e.token, e.expected) from None


# ------------------------------------------------------------------ errors
def _describe(terminal: str, lang: _Language) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    literal = lang.literals.get(terminal)
    return f"“{literal}”" if literal is not None else terminal


def _order(terminal: str, lang: _Language) -> tuple:
    """Names and values first, then keywords, then punctuation."""
    if terminal in _TERMINAL_NAMES:
        return (0, list(_TERMINAL_NAMES).index(terminal), terminal)
    literal = lang.literals.get(terminal, terminal)
    return (1 if literal[:1].isalpha() else 2, 0, literal)


def _syntax_diagnostic(e: Exception, file: str) -> Diagnostic:
    if isinstance(e, LexError):
        return make(e.code, n.Span(file, e.line, e.column, e.line, e.column + 1), **e.fields)
    if isinstance(e, NestingTooDeep):
        return make("E105", e.span, limit=e.limit)
    assert isinstance(e, SyntaxMismatch)
    lang = _language()
    expected = sorted(e.expected, key=lambda x: _order(x, lang))
    names = list(dict.fromkeys(_describe(x, lang) for x in expected))
    shown = "、".join(names[:8]) + ("等" if len(names) > 8 else "")
    tok = e.token
    span = n.Span(file, tok.line, tok.column, tok.end_line, tok.end_column)
    if tok.type == "$END":
        return make("E103", span, context="此", expected=shown or "更多内容")
    return make("E102", span, found=f"“{tok}”", expected=shown or "其他内容")


_ERRORS = (SyntaxMismatch, LexError, NestingTooDeep)

_DECL_START = re.compile(r"^[ \t\u3000]*(" + "|".join(DECL_KEYWORDS) + r")(?=[ \t\u3000]|$)(?![ \t]*\.)",
                         re.MULTILINE)


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split at lines that begin a declaration: (line offset, chunk text)."""
    starts = [m.start() for m in _DECL_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    out, line, counted = [], 0, 0
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(text)
        line += text.count("\n", counted, s)  # count each stretch once: linear in the file
        counted = s
        out.append((line, text[s:e]))
    return out


def tokens_past(text: str, budget: int) -> tuple[int, Optional[tuple[int, int]]]:
    """The tokens of ``text`` counted up to ``budget``, and the (line, column) of the first token
    past it (None when there is none). A scan alone, ~30× cheaper than parsing, so an oversized
    file or pack is refused without being parsed."""
    count = 0
    for m in _SCAN.finditer(text):
        if m.lastgroup != "ws" and m.lastgroup != "comment":
            count += 1
            if count > budget:
                start = m.start()
                line_start = text.rfind("\n", 0, start) + 1
                return budget, (text.count("\n", 0, start) + 1, start - line_start + 1)
    return count, None


def parse(text: str, file: str = "<string>") -> tuple[n.Module, list[Diagnostic]]:
    """Parse one file. Returns the module (possibly partial) and its syntax
    diagnostics; never raises for bad input."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        return n.Module(file, ()), [make("E106", n.Span(file, 1, 1, 1, 2), size=size,
                                         limit=MAX_FILE_BYTES)]
    if size > MAX_TOKENS:  # a file of fewer bytes cannot have more tokens: most files skip the count
        _count, excess = tokens_past(text, MAX_TOKENS)
        if excess is not None:
            line, column = excess
            return n.Module(file, ()), [make("E108", n.Span(file, line, column, line, column + 1),
                                             what="单个文件的词法单元数", limit=MAX_TOKENS)]
    _state.reset(file)
    try:
        decls = _run(text, 0)
        return n.Module(file, tuple(decls), tuple(_state.comments)), []
    except _ERRORS:
        pass
    decls, comments, diags = [], [], []
    for offset, chunk in _chunks(text):
        _state.reset(file)
        try:
            decls += _run(chunk, offset)
            comments += _state.comments
        except _ERRORS as e:
            diags.append(_syntax_diagnostic(e, file))
    return n.Module(file, tuple(decls), tuple(comments)), diags


# ------------------------------------------------------------------ editors
@dataclass(frozen=True)
class Prefix:
    """What an editor's cursor follows (:func:`parse_prefix`): the tokens read so far, and the
    terminals the grammar accepts next (``NAME``, ``STRING``, keyword terminals such as ``WHEN``)."""

    tokens: tuple[Token, ...]
    accepts: frozenset[str]


def parse_prefix(text: str) -> Optional[Prefix]:
    """Parse ``text`` — the start of a declaration up to a cursor — as far as it goes.

    None when it cannot be continued: a syntax error before its end, or its end inside a
    string or a comment (no completion makes sense there). Never raises for bad input."""
    _state.reset("<prefix>")
    fed: list = []
    try:
        parser = _run(text, 0, fed)
    except _ERRORS:
        return None
    comments = _state.comments
    if comments and comments[-1].span.line == text.count("\n") + 1:
        return None  # a comment runs to the end of its line: the text ends in it
    return Prefix(tuple(fed), frozenset(parser.accepts()))


def keywords() -> dict[str, str]:
    """Every keyword of ``grammar.lark``, read from the grammar itself: word -> its terminal's name."""
    return dict(_language().keywords)


def declaration_start(text: str) -> int:
    """Where the last declaration of ``text`` begins (a line whose first word is a declaration
    keyword, as error recovery splits files), 0 when none does."""
    start = 0
    for m in _DECL_START.finditer(text):
        start = m.start()
    return start
