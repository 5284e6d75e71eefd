"""Editor support: one engine behind `jiceng lint`, the web editor and `jiceng lsp`.

* :func:`diagnostics` — the errors and warnings of the pack with the edited text in place of its
  file, from the same parser, resolver, checker and compiler as `jiceng lint` (which runs
  :func:`~.context.check` too);
* :func:`completions` — the keywords the grammar accepts at a cursor and the names that fit
  there: lists, params, fields of the task form and facts, functions, units, rules, sources and
  requirement codes of the pack's chain, inherited ones included;
* :func:`hover` — what a name means (a rule's citation, a param's value, a field's type).

All take the text and an :class:`EditorContext` (where the text belongs), count lines and
columns from 1 as diagnostics do, and never raise for broken or partial text.
"""
from .checking import Diagnostic, diagnostics
from .completing import KINDS, Completion, completions, replace_start
from .context import EditorContext, check
from .hovering import Hover, hover

__all__ = ["Diagnostic", "diagnostics", "KINDS", "Completion", "completions", "replace_start", "EditorContext",
           "check", "Hover", "hover"]
