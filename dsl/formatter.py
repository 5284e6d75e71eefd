"""``jiceng fmt``: print a module in the canonical layout.

Canonical means: one declaration per paragraph (consecutive one-line
declarations of a kind stay together), clauses indented two spaces in a fixed
order, one list item per line, expressions with the fewest parentheses that
keep their structure plus the clarifying ones around an ``and`` inside an
``or`` (``(a and b) or c``), conditions longer than a line broken before each
top-level ``and``/``or`` (and a long parenthesised operand broken inside it),
other long lines (sources with their metadata, list items with their clauses,
citations with their quotes) continued on indented lines, comments kept beside
the element they were next to, and a blank line kept where the author put one
inside a block (at most one).

Two properties hold and are tested: formatting is idempotent, and it preserves
meaning — the formatted text parses to the same AST.
"""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Optional

from . import nodes as n
from .diagnostics import CompileError, display_width
from .parser import parse
from .visitor import NodeVisitor

INDENT = "  "
WIDTH = 100  # display columns; a Chinese character counts two
_NAME = re.compile(r"[^\W\d]\w*\Z")
_ONE_LINERS = (n.PackHeader, n.Title, n.Source, n.RequirementDecl, n.Param, n.Disable, n.Define)

# precedence: higher binds tighter
_OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _UNARY, _POSTFIX, _ATOM = range(1, 10)


def format_source(text: str, file: str = "<string>") -> str:
    """The canonical text of ``text``; raises CompileError on syntax errors."""
    module, diags = parse(text, file)
    if diags:
        raise CompileError(diags, {file: text})
    return Printer(module, text).module()


# ------------------------------------------------------------------ values
def number(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    return format(Decimal(v.numerator) / Decimal(v.denominator), "f")


def string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def _json_number(v) -> str:
    if isinstance(v, float):
        text = format(Decimal(repr(abs(v))), "f")
        return ("-" if v < 0 else "") + text
    return str(v)


def value(v) -> str:
    """A record value (tests, item attributes)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _json_number(v)
    if isinstance(v, n.Symbol) and _NAME.match(v) and v not in ("true", "false", "null"):
        return str(v)
    if isinstance(v, n.DateText):
        return str(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, tuple):
        return record(v)
    raise TypeError(type(v).__name__)


def record(pairs) -> str:
    if not pairs:
        return "{}"
    body = ", ".join(f"{k if _NAME.match(k) else string(k)}: {value(v)}" for k, v in pairs)
    return "{ " + body + " }"


#: words that would be read as a keyword where an item code or source id stands
_CODE_KEYWORDS = frozenset({"remove", "alias", "levels", "example", "cite", "requires", "quote"})


def code(c: str) -> str:
    """An item code: bare where the scanner reads it back as a name."""
    return c if _NAME.match(c) and c not in _CODE_KEYWORDS else string(c)


def source_id(sid: str, quoted: bool = False) -> str:
    """A source id as written: ``S002``, or ``"HB-LIST"`` (quoted when written so or not a name)."""
    return sid if _NAME.match(sid) and not quoted and sid not in _CODE_KEYWORDS else string(sid)


def wrapped(parts: list[str], depth: int) -> list[str]:
    """``parts`` joined by spaces on one line when it fits at ``depth``, else one line
    with as many as fit and the rest on continuation lines indented one level more."""
    lines = [parts[0]]
    for part in parts[1:]:
        indent = INDENT * (depth + (0 if len(lines) == 1 else 1))
        if display_width(indent + lines[-1] + " " + part) <= WIDTH:
            lines[-1] += " " + part
        else:
            lines.append(INDENT + part)
    return lines


# ------------------------------------------------------------------ expressions
def expr(e: n.Expr, need: int = 0) -> str:
    """``e`` printed; parenthesised when its precedence is below ``need``."""
    text, prec = _EXPR.visit(e)
    return f"({text})" if prec < need else text


def _unit(u: Optional[str]) -> str:
    return f" {u}" if u else ""


class _ExprPrinter(NodeVisitor):
    """One visit_<Node>(e) per expression type: (text, precedence of its outermost operator)."""

    def visit_Number(self, e: n.Number) -> tuple[str, int]:
        return number(e.value) + _unit(e.unit), _ATOM

    def visit_Ratio(self, e: n.Ratio) -> tuple[str, int]:
        return (f"{number(e.numerator)} {e.numerator_unit} per {number(e.denominator)} {e.denominator_unit}",
                _ATOM)

    def visit_RangeLit(self, e: n.RangeLit) -> tuple[str, int]:
        return f"{number(e.low)}..{number(e.high)}{_unit(e.unit)}", _ATOM

    def visit_String(self, e: n.String) -> tuple[str, int]:
        return string(e.value), _ATOM

    def visit_DateLit(self, e: n.DateLit) -> tuple[str, int]:
        return e.value, _ATOM

    def visit_Bool(self, e: n.Bool) -> tuple[str, int]:
        return ("true" if e.value else "false"), _ATOM

    def visit_Name(self, e: n.Name) -> tuple[str, int]:
        return e.id, _ATOM

    def visit_Call(self, e: n.Call) -> tuple[str, int]:
        return f"{e.func}({', '.join(expr(a) for a in e.args)})", _ATOM

    def visit_Quantifier(self, e: n.Quantifier) -> tuple[str, int]:
        body = f": {expr(e.body)}" if e.body is not None else ""
        return f"{e.kind}({e.var} in {expr(e.iterable)}{body})", _ATOM

    def visit_SetLit(self, e: n.SetLit) -> tuple[str, int]:
        return "[" + ", ".join(expr(i) for i in e.items) + "]", _ATOM

    def visit_Attr(self, e: n.Attr) -> tuple[str, int]:
        return f"{expr(e.obj, _POSTFIX)}.{e.name}", _POSTFIX

    def visit_Index(self, e: n.Index) -> tuple[str, int]:
        return f"{expr(e.obj, _POSTFIX)}[{expr(e.key)}]", _POSTFIX

    def visit_Neg(self, e: n.Neg) -> tuple[str, int]:
        return "-" + expr(e.operand, _UNARY), _UNARY

    def visit_Arith(self, e: n.Arith) -> tuple[str, int]:
        prec = _SUM if e.op in "+-" else _PRODUCT
        return f"{expr(e.left, prec)} {e.op} {expr(e.right, prec + 1)}", prec

    def visit_KindRef(self, e: n.KindRef) -> tuple[str, int]:
        return f"kind {e.kind}", _ATOM

    def visit_Compare(self, e: n.Compare) -> tuple[str, int]:
        return f"{expr(e.left, _SUM)} {e.op} {expr(e.right, _SUM)}", _CMP

    def visit_Not(self, e: n.Not) -> tuple[str, int]:
        return "not " + expr(e.operand, _NOT), _NOT

    def visit_BoolOp(self, e: n.BoolOp) -> tuple[str, int]:
        return f" {e.op} ".join(expr(x, _operand_need(e)) for x in e.operands), _OR if e.op == "or" else _AND


def _operand_need(e: n.BoolOp) -> int:
    """The precedence an operand of ``e`` needs to go without parentheses: an
    ``and`` inside an ``or`` keeps them, to be read at a glance."""
    return _NOT if e.op == "or" else _AND + 1


_EXPR = _ExprPrinter()


def broken(e: n.Expr, first: str, depth: int) -> list[str]:
    """``first + e`` as lines: one line if it fits, else one line per operand
    of the top-level and/or, each continuation starting with the operator; an
    operand that is itself a long parenthesised and/or is broken the same way
    inside its parentheses, one level deeper."""
    one = INDENT * depth + first + expr(e)
    if display_width(one) <= WIDTH or not isinstance(e, n.BoolOp):
        return [first + expr(e)]
    need = _operand_need(e)
    lines = []
    for i, x in enumerate(e.operands):
        lead = first if i == 0 else f"{INDENT}{e.op} "
        text = expr(x, need)
        inner_depth = depth + (0 if i == 0 else 1)
        if display_width(INDENT * inner_depth + lead + text) > WIDTH and isinstance(x, n.BoolOp) \
                and text.startswith("("):
            inner = broken(x, "", inner_depth + 1)
            lines.append(lead + "(" + inner[0])
            pad = INDENT * (0 if i == 0 else 1)
            lines += [pad + INDENT + line for line in inner[1:]]
            lines[-1] += ")"
        else:
            lines.append(lead + text)
    return lines


def cite(c: n.Cite) -> str:
    """A ``cite`` clause on one line (see :func:`cite_parts` to wrap it)."""
    return " ".join(cite_parts(c))


def cite_parts(c: n.Cite) -> list[str]:
    parts = [f"cite {source_id(c.source)}" + (f" {string(c.clause)}" if c.clause is not None else "")]
    if c.quote is not None:
        parts.append(f"quote {string(c.quote)}")
    return parts


# ------------------------------------------------------------------ printer
class Printer(NodeVisitor):
    """Prints declarations (one visit_<Declaration> each) and re-inserts comments by source position."""

    def __init__(self, module: n.Module, text: str):
        self.module_node = module
        lines = text.split("\n")
        self.blank = {i + 1 for i, line in enumerate(lines) if not line.strip()}  # 1-based blank lines
        full, trailing = [], []
        for c in module.comments:
            before = lines[c.span.line - 1][: c.span.column - 1] if c.span.line <= len(lines) else ""
            (full if not before.strip() else trailing).append(c)
        self.full = sorted(full, key=lambda c: c.span.line)
        self.trailing = sorted(trailing, key=lambda c: c.span.line)
        self.out: list[str] = []

    # -- comments and blank lines
    def _gap(self, line: int, depth: int) -> None:
        """Keep one blank line where the source had one (never after an opening brace)."""
        if line - 1 in self.blank and self.out and self.out[-1].strip() and not self.out[-1].endswith("{"):
            self.out.append("")

    def _leading(self, before_line: int, depth: int) -> None:
        while self.full and self.full[0].span.line < before_line:
            comment = self.full.pop(0)
            self._gap(comment.span.line, depth)
            self.out.append(INDENT * depth + comment.text.rstrip())

    def _attach(self, first: int, last: int) -> None:
        """Trailing comments on lines first..last go to the end of the last output line."""
        taken = [c for c in self.trailing if first <= c.span.line <= last]
        if taken:
            self.trailing = [c for c in self.trailing if c not in taken]
            self.out[-1] += "  " + "  ".join(c.text.rstrip() for c in taken)

    def line(self, text: str | list[str], span: Optional[n.Span], depth: int) -> None:
        """Emit an element (one line, or a broken condition's lines)."""
        if span is not None:
            self._leading(span.line, depth)
            self._gap(span.line, depth)
        for part in [text] if isinstance(text, str) else text:
            self.out.append(INDENT * depth + part)
        if span is not None:
            self._attach(span.line, span.end_line)

    def close(self, span: n.Span, depth: int) -> None:
        """A closing brace on the declaration's last line."""
        self._leading(span.end_line, depth + 1)
        self.out.append(INDENT * depth + "}")
        self._attach(span.end_line, span.end_line)

    # -- module
    def module(self) -> str:
        previous = None
        for d in self.module_node.decls:
            if previous is not None and not (isinstance(d, _ONE_LINERS) and type(d) is type(previous)) \
                    and not (isinstance(previous, n.PackHeader) and isinstance(d, (n.Title, n.Source))) \
                    and not (isinstance(previous, n.Title) and isinstance(d, n.Source)):
                self.out.append("")
            self.visit(d)
            previous = d
        self._leading(10 ** 9, 0)
        for c in self.trailing:  # trailing comments of lines with no element left
            self.out.append(c.text.rstrip())
        text = "\n".join(self.out).rstrip("\n")
        return re.sub(r"\n{3,}", "\n\n", text) + "\n"

    # -- declarations
    def visit_PackHeader(self, d: n.PackHeader) -> None:
        text = f"pack {d.name}"
        if d.version is not None:
            text += f" version {string(d.version)}"
        if d.effective is not None:
            text += f" effective {d.effective}"
        if d.extends is not None:
            text += f" extends {d.extends}"
        if d.documents is not None:
            text += f" documents {string(d.documents)}"
        self.line(text, d.span, 0)

    def visit_Title(self, d: n.Title) -> None:
        self.line(f"title {string(d.text)}", d.span, 0)

    def visit_Source(self, d: n.Source) -> None:
        parts = [f"source {source_id(d.id, d.id_quoted)} {string(d.title)}"]
        for key in ("file", "issuer", "number", "date", "url", "full"):
            v = getattr(d, key)
            if v is not None:
                parts.append(f"{key} {v if key == 'date' else string(v)}")
        self.line(wrapped(parts, 0), d.span, 0)

    def visit_Define(self, d: n.Define) -> None:
        title = f" {string(d.title)}" if d.title is not None else ""
        self.line(broken(d.value, f"define {d.name}{title} = ", 0), d.span, 0)

    def visit_RequirementDecl(self, d: n.RequirementDecl) -> None:
        self.line(f"requirement {d.code} {string(d.label)}", d.span, 0)

    def visit_Param(self, d: n.Param) -> None:
        title = f" {string(d.title)}" if d.title is not None else ""
        policy = f" {d.policy}" if d.policy else ""
        self.line(f"param {d.name}{title} = {expr(d.value)}{policy}", d.span, 0)

    def visit_Disable(self, d: n.Disable) -> None:
        self.line(f"disable {d.rule}" + (f" {string(d.reason)}" if d.reason is not None else ""), d.span, 0)

    def visit_ListDecl(self, d: n.ListDecl) -> None:
        head = f"list {d.name}"
        if d.title is not None:
            head += f" {string(d.title)}"
        if d.kind is not None:
            head += f" kind {d.kind}"
        parts = [head] + [part for c in d.cites for part in cite_parts(c)]
        parts[-1] += " {"
        first = d.entries[0].span.line if d.entries else d.span.end_line
        header_span = n.Span(d.span.file, d.span.line, d.span.column, max(d.span.line, first - 1), 0)
        self.line(wrapped(parts, 0), header_span, 0)
        for entry in d.entries:
            if isinstance(entry, n.Remove):
                self.line(f"remove {code(entry.code)}", entry.span, 1)
                continue
            self.line(wrapped(item_parts(entry), 1), entry.span, 1)
        self.close(d.span, 0)

    def visit_Rule(self, d: n.Rule) -> None:
        self.line(f"rule {d.id}" + (f" {string(d.title)}" if d.title is not None else ""),
                  n.Span(d.span.file, d.span.line, d.span.column, d.span.line, 0), 0)
        for c in d.cites:
            self.line(wrapped(cite_parts(c), 1), c.span, 1)
        if d.overridable:
            self.line("overridable", None, 1)
        for w in ([d.when] if d.when is not None else []) + list(d.extra_when):
            self.line(broken(w, "when ", 1), w.span, 1)
        for eff in d.effects:
            self.line("then " + effect(eff), eff.span, 1)
        for eff in d.unknown:
            self.line("unknown " + effect(eff), eff.span, 1)

    def visit_Standard(self, d: n.Standard) -> None:
        self.line(f"standard {d.name}" + (f" {string(d.title)}" if d.title is not None else ""),
                  n.Span(d.span.file, d.span.line, d.span.column, d.span.line, 0), 0)
        for c in d.cites:
            self.line(wrapped(cite_parts(c), 1), c.span, 1)
        for i, levels in enumerate(d.levels):
            head = f"over {', '.join(levels)}"
            lines = broken(d.where, head + " where ", 1) if d.where is not None and i == 0 else [head]
            self.line(lines, d.level_span if i == 0 else None, 1)
        for m in d.measures:
            title = f" {string(m.title)}" if m.title is not None else ""
            self.line(f"measure {m.name}{title} = {expr(m.value)}", m.span, 1)
        for x in d.expects:
            lines = broken(x.condition, "expect ", 1)
            if x.message is not None:
                lines[-1] += f" {string(x.message)}"
            self.line(lines, x.span, 1)
        for x in d.exports:
            self.line(f"export {x.measure}" + (f" as {x.alias}" if x.alias else ""), x.span, 1)

    def visit_Test(self, d: n.Test) -> None:
        self.line(f"test {string(d.name)} {{", n.Span(d.span.file, d.span.line, d.span.column, d.span.line, 0), 0)
        for c in d.proves:
            parts = cite_parts(c) if c.source else [f"quote {string(c.quote)}"]
            self.line(wrapped(parts, 1), c.span, 1)
        parts = [f"{g.root} {record(g.record)}" for g in d.givens]
        together = "given " + " ".join(parts)
        if parts and display_width(INDENT + together) <= WIDTH:
            first, last = d.givens[0].span, d.givens[-1].span
            self.line(together, n.Span(first.file, first.line, first.column, last.end_line, last.end_column), 1)
        else:
            for g, part in zip(d.givens, parts):
                self.line(f"given {part}", g.span, 1)
        if d.on is not None:
            self.line(f"on {d.on}", None, 1)
        for x in d.expectations:
            self.line("expect " + expectation(x), x.span, 1)
        self.close(d.span, 0)


def effect(e: n.Effect) -> str:
    msg = f" {string(e.message)}" if e.message is not None else ""
    if e.kind == "require":
        return f"require {', '.join(e.codes)}{msg}"
    return e.kind + msg


def item_parts(item: n.Item) -> list[str]:
    """A list item's clauses in canonical order: name, aliases, levels, example,
    requires, citations, attributes."""
    parts = [f"{code(item.code)} {string(item.name)}"]
    parts += [f"alias {string(a)}" for a in item.aliases]
    if item.levels:
        parts.append("levels " + ", ".join(item.levels))
    if item.example:
        parts.append("example")
    if item.requires:
        parts.append("requires " + ", ".join(item.requires))
    for c in item.cites:
        parts += cite_parts(c)
    if item.attrs:
        parts.append(record(item.attrs))
    return parts


def expectation(x: n.Expectation) -> str:
    names = ", ".join(x.names)
    if x.kind == "decision":
        return x.value + (f" by {names}" if names else "")
    if x.kind == "fires":
        return f"fires {names}"
    if x.kind == "not_fires":
        return f"not fires {names}"
    if x.kind == "requires":
        return f"requires {names}"
    std, verdict = x.names
    return f"standard {std} {verdict}" + (f" with {record(x.record)}" if x.record else "")
