"""Source text -> :class:`~.nodes.Module`, with positions and recoverable errors.

Lark reads ``grammar.lark`` once and builds the LALR(1) tables and the
reduction callbacks (our :class:`AstBuilder`, as an inline transformer). This
module then runs those tables with a loop of its own:

* scanning is one compiled regular expression, and — like Lark's contextual
  lexer — a word is a keyword only where the current parser state accepts
  that keyword, so ``rule test`` names a rule ``test``;
* reductions call the builder directly, so nodes are built while parsing,
  without a parse tree and without Python recursion (5,000 nested ``not`` end
  as a clean ``E105``, not a RecursionError);
* every node's span runs from its first token to its last — what Lark's
  ``propagate_positions`` computes, which Lark cannot combine with an inline
  transformer.

Driving the tables directly is three times faster than Lark's generic loop on
large packs (a 2,000-rule pack parses in about 0.2 s; see benchmarks/).

Recovery: when a file has a syntax error, it is parsed again declaration by
declaration (a declaration starts on a line whose first word is a declaration
keyword), so one run reports every broken declaration.
"""
from __future__ import annotations

import re
import sys
import threading
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Optional

from lark import Lark
from lark.lexer import PatternStr

from . import nodes as n
from .diagnostics import Diagnostic, make

MAX_DEPTH = 64           # expression nesting; deeper input ends in E105
MAX_FILE_BYTES = 2 << 20  # 2 MiB per file (a 2,000-rule pack is ~0.3 MiB); larger ends in E106

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
_UPPER = {"string": "STRING", "date": "DATE", "number": "NUMBER"}

# Human names of terminals, for "expected ..." in syntax errors; shown in this order.
_TERMINAL_NAMES = {"NAME": "名称", "STRING": "带引号的文字", "NUMBER": "数字", "DATE": "日期",
                   "COMP_OP": "比较符", "$END": "文件结尾"}


class Tok(str):
    """A token: its text, plus its terminal type and position."""

    __slots__ = ("type", "line", "column", "end_line", "end_column")

    def __new__(cls, type_: str, value: str, line: int, column: int, end_column: int):
        tok = str.__new__(cls, value)
        tok.type, tok.line, tok.column, tok.end_line, tok.end_column = type_, line, column, line, end_column
        return tok


class LexError(Exception):
    def __init__(self, code: str, line: int, column: int, **fields):
        super().__init__(code)
        self.code, self.line, self.column, self.fields = code, line, column, fields


class UnexpectedToken(Exception):
    def __init__(self, token: Tok, expected):
        super().__init__(token)
        self.token, self.expected = token, set(expected)


class NestingTooDeep(Exception):
    def __init__(self, span: n.Span):
        super().__init__("nesting")
        self.span = span


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
    if isinstance(x, Tok):
        return x.line, x.column
    return x.span.line, x.span.column


def _end(x) -> tuple[int, int]:
    if isinstance(x, Tok):
        return x.end_line, x.end_column
    return x.span.end_line, x.span.end_column


def _span(children) -> n.Span:
    (l1, c1), (l2, c2) = _start(children[0]), _end(children[-1])
    return n.Span(_state.file, l1, c1, l2, c2)


def _tok_span(t: Tok) -> n.Span:
    return n.Span(_state.file, t.line, t.column, t.end_line, t.end_column)


def unescape(literal: str) -> str:
    """The value of a ``"..."`` literal: ``\\"``, ``\\\\``, ``\\n``, ``\\t``."""
    body = literal[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _nodes(children):
    return [c for c in children if not isinstance(c, Tok)]


def _toks(children, *types):
    return [c for c in children if isinstance(c, Tok) and c.type in types]


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
        title = unescape(c[2]) if isinstance(c[2], Tok) and c[2].type == "STRING" else None
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
        title = unescape(c[2]) if len(c) > 2 and isinstance(c[2], Tok) and c[2].type == "STRING" else None
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
        title = unescape(c[2]) if len(c) > 2 and isinstance(c[2], Tok) and c[2].type == "STRING" else None
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


def _json_number(tok: Tok):
    text = str(tok)
    return float(text) if "." in text else int(text)


class _Tables:
    """Lark's LALR tables, reshaped for the driver: per state, token type ->
    next state (shift/goto, an int) or (size, origin, callback) (reduce)."""

    def __init__(self, lark: Lark):
        frontend = lark.parser.parser
        table, callbacks = frontend._parse_table, frontend.parser.callbacks
        self.start, self.end = table.start_states["start"], table.end_states["start"]
        self.states: dict[int, dict] = {}
        for state, row in table.states.items():
            # plain interned str keys: Lark's keys are Tokens, whose Python-level
            # __eq__ would run on every lookup
            self.states[state] = {sys.intern(str(ttype)): (arg if action.name == "Shift" else
                                                           (len(arg.expansion), sys.intern(str(arg.origin.name)),
                                                            callbacks[arg]))
                                  for ttype, (action, arg) in row.items()}
        self.keywords: dict[str, str] = {}
        self.punctuation: dict[str, str] = {op: "COMP_OP" for op in _COMPARISONS}
        self.literals: dict[str, str] = {}
        for term in lark.terminals:
            if isinstance(term.pattern, PatternStr):
                value = term.pattern.value
                self.literals[term.name] = value
                (self.keywords if value[0].isalpha() else self.punctuation)[value] = term.name


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    lark = Lark(grammar, parser="lalr", lexer="basic", transformer=AstBuilder(),
                keep_all_tokens=True, maybe_placeholders=False)
    return _Tables(lark)


def _terminals(row: dict) -> list[str]:
    """The token types a table row accepts (its other keys are gotos)."""
    return [k for k in row if k.isupper() or k == "$END"]


def _run(text: str, line_offset: int) -> list:
    """Scan ``text`` and run the LALR automaton over it; returns the decls."""
    t = _tables()
    states, keywords, punctuation = t.states, t.keywords, t.punctuation
    stack, values = [t.start], []
    # A keyword read as a name because no keyword fits here (`a > then`) is the
    # likely culprit if the very next token fails: report the error there.
    demoted: Optional[tuple] = None
    file, comments = _state.file, _state.comments
    match = _SCAN.match
    pos, size = 0, len(text)
    line, line_start = 1 + line_offset, 0

    def feed(tok: Tok):
        ttype = tok.type
        while True:
            act = states[stack[-1]].get(ttype)
            if act is None:
                raise UnexpectedToken(tok, _terminals(states[stack[-1]]))
            if act.__class__ is int:
                stack.append(act)
                values.append(tok)
                return None
            count, origin, callback = act
            if count:
                children = values[-count:]
                del values[-count:]
                del stack[-count:]
            else:
                children = []
            values.append(callback(children))
            stack.append(states[stack[-1]][origin])
            if ttype == "$END" and stack[-1] == t.end:
                return values[-1]

    while pos < size:
        m = match(text, pos)
        if m is None:
            raise LexError("E101", line, pos - line_start + 1, char=text[pos])
        kind = m.lastgroup
        value = m.group()
        column = pos - line_start + 1
        pos = m.end()
        if kind == "ws" or kind == "comment":
            if kind == "comment":
                comments.append(n.Comment(n.Span(file, line, column, line, column + len(value)), value))
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = m.start() + value.rindex("\n") + 1
            continue
        was_demoted, demoted = demoted, None
        if kind == "name":
            ttype = keywords.get(value)
            if ttype is None or ttype not in states[stack[-1]]:
                if ttype is not None:
                    demoted = (value, line, column, _terminals(states[stack[-1]]))
                ttype = "NAME"
        elif kind == "op":
            ttype = punctuation.get(value)
            if ttype is None:  # an operator the grammar does not use
                raise LexError("E101", line, column, char=value)
        elif kind == "badstring":
            raise LexError("E104", line, column)
        else:
            ttype = _UPPER[kind]
        try:
            feed(Tok(ttype, value, line, column, column + len(value)))
        except UnexpectedToken:
            if was_demoted is None:
                raise
            word, w_line, w_column, expected = was_demoted
            raise UnexpectedToken(Tok("NAME", word, w_line, w_column, w_column + len(word)), expected) from None
    end_column = pos - line_start + 1
    return feed(Tok("$END", "", line, end_column, end_column + 1))


# ------------------------------------------------------------------ errors
def _describe(terminal: str, tables: _Tables) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    literal = tables.literals.get(terminal)
    return f"“{literal}”" if literal is not None else terminal


def _order(terminal: str, tables: _Tables) -> tuple:
    """Names and values first, then keywords, then punctuation."""
    if terminal in _TERMINAL_NAMES:
        return (0, list(_TERMINAL_NAMES).index(terminal), terminal)
    literal = tables.literals.get(terminal, terminal)
    return (1 if literal[:1].isalpha() else 2, 0, literal)


def _syntax_diagnostic(e: Exception, file: str) -> Diagnostic:
    if isinstance(e, LexError):
        return make(e.code, n.Span(file, e.line, e.column, e.line, e.column + 1), **e.fields)
    if isinstance(e, NestingTooDeep):
        return make("E105", e.span, limit=MAX_DEPTH)
    assert isinstance(e, UnexpectedToken)
    tables = _tables()
    expected = sorted(e.expected, key=lambda x: _order(x, tables))
    names = list(dict.fromkeys(_describe(x, tables) for x in expected))
    shown = "、".join(names[:8]) + ("等" if len(names) > 8 else "")
    tok = e.token
    span = n.Span(file, tok.line, tok.column, tok.end_line, tok.end_column)
    if tok.type == "$END":
        return make("E103", span, context="此", expected=shown or "更多内容")
    return make("E102", span, found=f"“{tok}”", expected=shown or "其他内容")


_ERRORS = (UnexpectedToken, LexError, NestingTooDeep)

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


def parse(text: str, file: str = "<string>") -> tuple[n.Module, list[Diagnostic]]:
    """Parse one file. Returns the module (possibly partial) and its syntax
    diagnostics; never raises for bad input."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        return n.Module(file, ()), [make("E106", n.Span(file, 1, 1, 1, 2), size=size,
                                         limit=MAX_FILE_BYTES)]
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
