"""Diagnostics for the text in an editor: :func:`diagnostics`.

They are `jiceng lint`'s diagnostics (:func:`.context.check`), flattened for editors: each says
whether it lies in the edited text (``in_source``) or elsewhere in the pack or its ancestors — a
broken sibling file or parent keeps the edited one from compiling, and the editor should say so.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

from .. import diagnostics as dsl
from .context import EditorContext, check


@dataclass(frozen=True)
class Note:
    """A place a diagnostic points to besides its own (``第一次声明在此``)."""

    file: str
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Diagnostic:
    """One finding, positioned by 1-based lines and columns (columns count characters; the end
    is exclusive). ``message`` is zh-CN and includes the hint (``您是不是要写 …?``);
    ``severity`` is ``error`` or ``warning``; ``code`` is the stable code of docs/errors.md."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    message: str
    severity: str
    in_source: bool
    notes: tuple[Note, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == dsl.ERROR

    def to_dict(self) -> dict:
        out = asdict(self)
        out["notes"] = [asdict(n) for n in self.notes]
        return out

    @classmethod
    def of(cls, d: dsl.Diagnostic, path: Optional[str]) -> "Diagnostic":
        """``d`` as an editor shows it, ``path`` naming the edited file."""
        s = d.span
        notes = tuple(Note(n.span.file, n.span.line, n.span.column, n.message) for n in d.notes)
        return cls(s.file, s.line, s.column, s.end_line, s.end_column, d.code, d.full_message(), d.severity,
                   path is not None and s.file == path, notes)


def diagnostics(source: str, context: Optional[EditorContext] = None) -> list[Diagnostic]:
    """Every error and warning of the pack with ``source`` as the context's file: those in
    ``source`` first, in order of position, then those elsewhere. Never raises for bad text."""
    result = check(context or EditorContext(), source)
    found = [Diagnostic.of(d, result.path) for d in result.diagnostics]
    return sorted(found, key=lambda d: (not d.in_source, d.file, d.line, d.column, d.code))
