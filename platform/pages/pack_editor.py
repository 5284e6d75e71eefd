"""What the console's source editor asks while an admin types: diagnostics and completions.

Both come from the one editor engine (:mod:`jiceng.dsl.ide`) behind ``jiceng lint``, ``jiceng lsp``
and ``POST .../editor/...``, in the same context those endpoints use
(:func:`jiceng.platform.editing.context.editor_context`: the pack's other files of the version being
edited, the ancestors in force today, the current forms). The page's own endpoints exist only
because a page authenticates with its login session and CSRF token, not a Bearer header.
"""
from __future__ import annotations

from typing import Optional

from jiceng.dsl import ide
from jiceng.platform.editing.context import editor_context
from jiceng.platform.runtime import Runtime

#: the most text an editor request may send (as the editor API: a pack file of a thousand rules is ~150 KiB)
MAX_SOURCE_BYTES = 512 * 1024
#: the most completions one answer lists
MAX_COMPLETIONS = 60


def too_large(source: str) -> Optional[dict]:
    """The diagnostic an over-long text gets instead of a check (None when it is within bounds)."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size <= MAX_SOURCE_BYTES:
        return None
    return {"line": 1, "column": 1, "end_line": 1, "end_column": 2, "code": "source_too_large", "severity": "error",
            "in_source": True, "message": f"规则文本过大({size} 字节,上限 {MAX_SOURCE_BYTES} 字节),未检查"}


def diagnostics(rt: Runtime, tenant: str, source: str, file: str, number: Optional[int]) -> list[dict]:
    """Every diagnostic of ``source`` as ``file`` of ``tenant``'s pack (beside version ``number``'s
    other files): ``[{line, column, end_line, end_column, code, message, severity, in_source}]``;
    those in the text first, by position."""
    big = too_large(source)
    if big is not None:
        return [big]
    found = ide.diagnostics(source, editor_context(rt, tenant, file, number))
    return [{k: d.to_dict()[k] for k in ("file", "line", "column", "end_line", "end_column", "code", "message",
                                         "severity", "in_source")} for d in found]


def completions(rt: Runtime, tenant: str, source: str, line: int, column: int, file: str,
                number: Optional[int]) -> list[dict]:
    """What may be typed at ``line``:``column`` (1-based): ``[{label, kind, detail}]``, names first."""
    if too_large(source) is not None:
        return []
    items = ide.completions(source, line, column, editor_context(rt, tenant, file, number))
    return [c.to_dict() for c in items[:MAX_COMPLETIONS]]
