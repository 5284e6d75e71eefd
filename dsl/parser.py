"""Source text -> :class:`~.nodes.Module`, with positions and recoverable errors.

Three pieces, all driven by Lark's LALR(1) tables for ``grammar.lark``:

* :class:`Scanner` — one compiled regular expression instead of Lark's lexer
  (five times faster on large packs). Like Lark's contextual lexer it only
  treats a word as a keyword where the parser state accepts that keyword, so
  ``rule test`` names a rule ``test``.
* :class:`AstBuilder` — an *inline* transformer: Lark calls it on every
  reduction, so nodes are built while parsing, without a parse tree and without
  Python recursion; 5,000 nested ``not`` end as a clean ``E105``.
* recovery — when a file has a syntax error, it is parsed again declaration
  by declaration (a declaration starts on a line whose first word is a
  declaration keyword), so one run reports every broken declaration.
"""
from __future__ import annotations

import re
import threading
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from lark import Lark, Token
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer, PatternStr

from . import nodes as n
from .diagnostics import Diagnostic, make

MAX_DEPTH = 64           # expression nesting; deeper input ends in E105
MAX_FILE_BYTES = 4 << 20  # 4 MiB per file; larger input ends in E106

DECL_KEYWORDS = ("pack", "title", "source", "requirement", "param", "list", "rule", "disable",
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

# Human names of terminals, for "expected ..." in syntax errors.
_TERMINAL_NAMES = {"NAME": "名称", "STRING": "带引号的文字", "NUMBER": "数字", "DATE": "日期",
                   "COMP_OP": "比较符", "$END": "文件结尾"}


class LexError(Exception):
    def __init__(self, code: str, line: int, column: int, **fields):
        super().__init__(code)
        self.code, self.line, self.column, self.fields = code, line, column, fields


class NestingTooDeep(Exception):
    def __init__(self, span: n.Span):
        super().__init__("nesting")
        self.span = span


class _ParseState(threading.local):
    """Per-thread, per-parse state: the scanner and builder are shared objects
    owned by the cached Lark instance."""

    file = "<string>"
    line_offset = 0
    comments: list
    depth: dict

    def reset(self, file: str, line_offset: int = 0):
        self.file, self.line_offset = file, line_offset
        self.comments = []
        self.depth = {}


_state = _ParseState()


class Scanner(Lexer):
    """Regex scanner feeding Lark's LALR parser (Lark custom-lexer interface 2)."""

    __future_interface__ = 2

    def __init__(self, lexer_conf):
        self.keywords: dict[str, str] = {}
        self.punctuation: dict[str, str] = {op: "COMP_OP" for op in _COMPARISONS}
        for term in lexer_conf.terminals:
            if isinstance(term.pattern, PatternStr):
                value = term.pattern.value
                (self.keywords if value[0].isalpha() else self.punctuation)[value] = term.name

    def lex(self, lexer_state, parser_state) -> Iterator[Token]:
        text_slice = lexer_state.text
        text = getattr(text_slice, "text", text_slice)
        pos, end = 0, len(text)
        line = 1 + _state.line_offset
        line_start = 0
        keywords, punctuation = self.keywords, self.punctuation
        states = parser_state.parse_conf.states
        match = _SCAN.match
        while pos < end:
            m = match(text, pos)
            if m is None:
                raise LexError("E101", line, pos - line_start + 1, char=text[pos])
            kind = m.lastgroup
            value = m.group()
            column = pos - line_start + 1
            if kind == "ws" or kind == "comment":
                if kind == "comment":
                    span = n.Span(_state.file, line, column, line, column + len(value))
                    _state.comments.append(n.Comment(span, value))
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = pos + value.rindex("\n") + 1
                pos = m.end()
                continue
            if kind == "name":
                ttype = keywords.get(value)
                if ttype is None or ttype not in states[parser_state.position]:
                    ttype = "NAME"
            elif kind == "op":
                ttype = punctuation.get(value)
                if ttype is None:  # an operator the grammar does not use
                    raise LexError("E101", line, column, char=value)
            elif kind == "badstring":
                raise LexError("E104", line, column)
            else:
                ttype = kind.upper()
            pos = m.end()
            yield Token(ttype, value, m.start(), line, column, line, column + len(value), pos)


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


class AstBuilder:
    """Inline transformer: one method per grammar rule or alias."""

    # -- depth bookkeeping: nodes are immutable, so depth lives beside them
    def _expr(self, node: n.Expr, *children) -> n.Expr:
        depth = _state.depth
        d = 1 + max((depth.get(id(c), 1) for c in children), default=0)
        if d > MAX_DEPTH:
            raise NestingTooDeep(node.span)
        depth[id(node)] = d
        return node

    # -- file
    def start(self, children):
        return list(children)

    # -- header
    def pack_decl(self, c):
        name = c[1]
        opts = dict(p.value for p in _nodes(c))
        return n.PackHeader(_span(c), str(name), opts.get("version"), opts.get("extends"))

    def pack_version(self, c):
        return _Part(_span(c), ("version", _str(c)))

    def pack_extends(self, c):
        return _Part(_span(c), ("extends", str(c[1])))

    def title_decl(self, c):
        return n.Title(_span(c), _str(c))

    def source_decl(self, c):
        opts = dict(p.value for p in _nodes(c))
        return n.Source(_span(c), str(c[1]), unescape(c[2]), opts.get("file"))

    def source_file(self, c):
        return _Part(_span(c), ("file", _str(c)))

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
        cite = next((p for p in _nodes(c) if isinstance(p, n.Cite)), None)
        entries = tuple(p for p in _nodes(c) if isinstance(p, (n.Item, n.Remove)))
        return n.ListDecl(_span(c), str(c[1]), title, kind.value if kind else None,
                          kind.span if kind else None, cite, entries)

    def list_kind(self, c):
        return _Part(_tok_span(c[1]), str(c[1]))

    def item(self, c):
        code = unescape(c[0]) if c[0].type == "STRING" else str(c[0])
        requires, attrs = (), ()
        for p in c[2:]:
            if isinstance(p, _Part):
                if p.value and p.value[0] == "requires":
                    requires = p.value[1]
                else:
                    attrs = p.value
        return n.Item(_span(c), code, unescape(c[1]), requires, attrs)

    def remove(self, c):
        code = unescape(c[1]) if c[1].type == "STRING" else str(c[1])
        return n.Remove(_span(c), code)

    def requires(self, c):
        return _Part(_span(c), ("requires", tuple(str(t) for t in _toks(c, "NAME"))))

    # -- rules
    def rule_decl(self, c):
        title = unescape(c[2]) if len(c) > 2 and isinstance(c[2], Token) and c[2].type == "STRING" else None
        cites, whens, effects, overridable = [], [], [], False
        for p in _nodes(c):
            if isinstance(p, n.Cite):
                cites.append(p)
            elif p.value[0] == "when":
                whens.append(p.value[1])
            elif p.value[0] == "then":
                effects.append(p.value[1])
            else:
                overridable = True
        return n.Rule(_span(c), str(c[1]), title, tuple(cites), whens[0] if whens else None,
                      tuple(effects), overridable, tuple(whens[1:]))

    def when(self, c):
        return _Part(_span(c), ("when", c[1]))

    def then(self, c):
        return _Part(_span(c), ("then", c[1]))

    def overridable(self, c):
        return _Part(_span(c), ("overridable",))

    def cite(self, c):
        return n.Cite(_span(c), str(c[1]), _str(c[2:]))

    def reject(self, c):
        return n.Effect(_span(c), "reject", None, _str(c))

    def require(self, c):
        return n.Effect(_span(c), "require", str(c[1]), _str(c[2:]))

    def warn(self, c):
        return n.Effect(_span(c), "warn", None, _str(c))

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
        return _Part(_tok_span(c[1]), (str(c[1]), where))

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
        givens, on, expectations = [], None, []
        for p in _nodes(c):
            if isinstance(p, n.Given):
                givens.append(p)
            elif isinstance(p, n.Expectation):
                expectations.append(p)
            elif isinstance(p, list):
                givens.extend(p)
            else:
                on = p.value
        return n.Test(_span(c), unescape(c[1]), tuple(givens), on, tuple(expectations))

    def given(self, c):
        return [p for p in _nodes(c)]

    def given_part(self, c):
        return n.Given(_span(c), str(c[0]), c[1].value)

    def on_date(self, c):
        return _Part(_span(c), str(c[1]))

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

    def _names_expectation(self, kind, c, part):
        names, spans = part.value
        return n.Expectation(_span(c), kind, None, names, (), spans)

    def expect_fires(self, c):
        return self._names_expectation("fires", c, c[1])

    def expect_not_fires(self, c):
        return self._names_expectation("not_fires", c, c[2])

    def expect_requires(self, c):
        return self._names_expectation("requires", c, c[1])

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
    def _boolop(self, op, c):
        operands = tuple(_nodes(c))
        return self._expr(n.BoolOp(_span(c), op, operands), *operands)

    def or_expr(self, c):
        return self._boolop("or", c)

    def and_expr(self, c):
        return self._boolop("and", c)

    def not_(self, c):
        return self._expr(n.Not(_span(c), c[1]), c[1])

    def _compare(self, op, c):
        left, right = c[0], c[-1]
        return self._expr(n.Compare(_span(c), op, left, right), left, right)

    def compare(self, c):
        return self._compare(str(c[1]), c)

    def in_(self, c):
        return self._compare("in", c)

    def not_in(self, c):
        return self._compare("not in", c)

    def contains(self, c):
        return self._compare("contains", c)

    def _arith(self, c):
        node = c[0]
        for i in range(1, len(c), 2):
            right = c[i + 1]
            span = n.Span(_state.file, node.span.line, node.span.column, right.span.end_line,
                          right.span.end_column)
            node = self._expr(n.Arith(span, str(c[i]), node, right), node, right)
        return node

    sum = _arith
    product = _arith

    def neg(self, c):
        return self._expr(n.Neg(_span(c), c[1]), c[1])

    def attr(self, c):
        return self._expr(n.Attr(_span(c), c[0], str(c[2])), c[0])

    def index(self, c):
        return self._expr(n.Index(_span(c), c[0], c[2]), c[0], c[2])

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

    def call(self, c):
        args = tuple(p for p in _nodes(c))
        return self._expr(n.Call(_span(c), str(c[0]), args), *args)

    def quantifier(self, c):
        parts = _nodes(c)  # [kind token via quant_kw, iterable, body?]
        kind = str(c[0])
        var = str(c[2])
        iterable = parts[0]
        body = parts[1] if len(parts) > 1 else None
        node = n.Quantifier(_span(c), kind, var, iterable, body)
        return self._expr(node, *parts)

    def quant_kw(self, c):
        return c[0]

    def set_literal(self, c):
        items = tuple(_nodes(c))
        return self._expr(n.SetLit(_span(c), items), *items)

    def atom(self, c):  # "(" expr ")"
        return c[1]


def _json_number(tok: Token):
    text = str(tok)
    return float(text) if "." in text else int(text)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer=Scanner, transformer=AstBuilder(),
                keep_all_tokens=True, maybe_placeholders=False)


# ------------------------------------------------------------------ errors
def _describe(terminal: str, parser: Lark) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    try:
        pattern = parser.get_terminal(terminal).pattern
    except KeyError:
        return terminal
    if isinstance(pattern, PatternStr):
        return f"“{pattern.value}”"
    return terminal


def _syntax_diagnostic(e: Exception, file: str) -> Diagnostic:
    if isinstance(e, LexError):
        span = n.Span(file, e.line, e.column, e.line, e.column + 1)
        return make(e.code, span, **e.fields)
    if isinstance(e, NestingTooDeep):
        return make("E105", e.span, limit=MAX_DEPTH)
    assert isinstance(e, UnexpectedInput)
    parser = _parser()
    expected = sorted(getattr(e, "expected", None) or getattr(e, "accepts", None) or ())
    names = sorted({_describe(t, parser) for t in expected})
    shown = "、".join(names[:8]) + ("等" if len(names) > 8 else "")
    token = getattr(e, "token", None)
    if isinstance(e, UnexpectedToken) and token is not None and token.type == "$END":
        line = getattr(e, "line", 1) if getattr(e, "line", -1) > 0 else 1
        span = n.Span(file, line, max(getattr(e, "column", 1), 1), line, max(getattr(e, "column", 1), 1) + 1)
        return make("E103", span, context="此", expected=shown or "更多内容")
    line, column = token.line, token.column
    span = n.Span(file, line, column, token.end_line or line, token.end_column or column + 1)
    found = f"“{token.value}”"
    return make("E102", span, found=found, expected=shown or "其他内容")


def _parse_text(text: str, file: str, line_offset: int = 0):
    _state.reset(file, line_offset)
    decls = _parser().parse(text)
    return decls, _state.comments


_DECL_START = re.compile(r"^[ \t\u3000]*(" + "|".join(DECL_KEYWORDS) + r")(?=[ \t\u3000]|$)(?![ \t]*\.)",
                         re.MULTILINE)


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split at lines that begin a declaration: (line offset, chunk text)."""
    starts = [m.start() for m in _DECL_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    out = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(text)
        out.append((text.count("\n", 0, s), text[s:e]))
    return out


def parse(text: str, file: str = "<string>") -> tuple[n.Module, list[Diagnostic]]:
    """Parse one file. Returns the module (possibly partial) and its syntax
    diagnostics; never raises for bad input."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        return n.Module(file, ()), [make("E106", n.Span(file, 1, 1, 1, 2), size=size,
                                         limit=MAX_FILE_BYTES)]
    try:
        decls, comments = _parse_text(text, file)
        return n.Module(file, tuple(decls), tuple(comments)), []
    except (UnexpectedInput, LexError, NestingTooDeep):
        pass
    decls, comments, diags = [], [], []
    for offset, chunk in _chunks(text):
        try:
            d, c = _parse_text(chunk, file, offset)
            decls += d
            comments += c
        except (UnexpectedInput, LexError, NestingTooDeep) as e:
            diags.append(_syntax_diagnostic(e, file))
    return n.Module(file, tuple(decls), tuple(comments)), diags
