"""``jiceng lsp``: a language server for ``.jc`` files, over standard input and output.

Any editor that speaks the Language Server Protocol gets what the web editor gets, from the
same engine (:mod:`jiceng.dsl.ide`, which `jiceng lint` runs too):

* ``textDocument/publishDiagnostics`` when a document is opened, changed (after a pause in
  typing of :data:`DEBOUNCE_SECONDS`) or saved: the errors and warnings of its pack with the
  editor's text in place of the file. A file belongs to the pack of the nearest folder (its own
  or one above) with a file declaring ``pack``; ``tenants/`` and ``form_schemas/`` beside the
  packs' folder give the chain and the task form, as for `jiceng lint`. A problem in another
  file that keeps this one from compiling is shown on the first line, naming where it is;
* ``textDocument/completion`` (also on ``.``): keywords, lists, params, fields, functions,
  units, rules, sources and requirement codes that fit at the cursor;
* ``textDocument/hover``: what a name means (a rule's title and citations, a param's value, a
  field's type).

Positions are converted between the client's encoding (UTF-16 by default) and the engine's
character columns. Built on pygls 2 (``pygls.lsp.server.LanguageServer``), imported only when
the server starts so that other commands do not pay for it.
"""
from __future__ import annotations

import asyncio
from typing import Optional

import click

from jiceng.dsl import ide

#: how long the server waits after a change before checking, so that typing is not held up
#: by a check per keystroke (a check of a city's pack with its chain takes about 0.1 s)
DEBOUNCE_SECONDS = 0.3
SERVER_NAME = "jiceng"
SERVER_VERSION = "1"


def make_server():
    """The language server, its features registered (started with ``start_io()``)."""
    from lsprotocol import types as lsp
    from pygls.lsp.server import LanguageServer
    from pygls.uris import to_fs_path

    server = LanguageServer(SERVER_NAME, SERVER_VERSION)
    kinds = {"keyword": lsp.CompletionItemKind.Keyword, "list": lsp.CompletionItemKind.Enum,
             "param": lsp.CompletionItemKind.Constant, "field": lsp.CompletionItemKind.Field,
             "function": lsp.CompletionItemKind.Function, "unit": lsp.CompletionItemKind.Unit,
             "rule": lsp.CompletionItemKind.Reference, "source": lsp.CompletionItemKind.Reference,
             "requirement": lsp.CompletionItemKind.EnumMember, "variable": lsp.CompletionItemKind.Variable,
             "value": lsp.CompletionItemKind.Value}
    severities = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}

    def context(uri: str, text: str) -> ide.EditorContext:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return ide.EditorContext.for_path(path, text) if path else ide.EditorContext()

    def position(text: str, line: int, column: int) -> "lsp.Position":
        """The engine's 1-based (line, character column) as the client counts."""
        lines = text.split("\n")
        if line > len(lines):
            return lsp.Position(line=len(lines) - 1, character=_units(server, lines[-1]))
        row = lines[max(line, 1) - 1]
        return lsp.Position(line=max(line, 1) - 1, character=_units(server, row[:max(column, 1) - 1]))

    def engine_position(text: str, pos: "lsp.Position") -> tuple[int, int]:
        """The client's position as the engine's 1-based (line, character column)."""
        lines = text.split("\n")
        row = lines[pos.line] if pos.line < len(lines) else ""
        units, column = 0, 0
        for ch in row:
            if units >= pos.character:
                break
            units += _units(server, ch)
            column += 1
        return pos.line + 1, column + 1

    def to_lsp(d: ide.Diagnostic, text: str, uri: str) -> "lsp.Diagnostic":
        if d.in_source:
            start, end = position(text, d.line, d.column), position(text, d.end_line, d.end_column)
            message = d.message
        else:  # elsewhere in the pack or its chain: shown at the top, saying where
            start, end = lsp.Position(line=0, character=0), lsp.Position(line=0, character=0)
            message = f"{d.file}:{d.line}:{d.column}:{d.message}"
        related = [lsp.DiagnosticRelatedInformation(
            location=lsp.Location(uri=uri, range=lsp.Range(start=position(text, n.line, n.column),
                                                           end=position(text, n.line, n.column))),
            message=n.message) for n in d.notes if d.in_source and n.file == d.file]
        return lsp.Diagnostic(range=lsp.Range(start=start, end=end), message=message, severity=severities[d.severity],
                              code=d.code, source=SERVER_NAME, related_information=related or None)

    def publish(uri: str, version: Optional[int] = None) -> None:
        doc = server.workspace.get_text_document(uri)
        text = doc.source
        found = [to_lsp(d, text, uri) for d in ide.diagnostics(text, context(uri, text))
                 if d.in_source or d.is_error]
        server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=found))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: lsp.DidOpenTextDocumentParams) -> None:
        publish(params.text_document.uri, params.text_document.version)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls, params: lsp.DidChangeTextDocumentParams) -> None:
        uri, version = params.text_document.uri, params.text_document.version
        await asyncio.sleep(DEBOUNCE_SECONDS)
        if server.workspace.get_text_document(uri).version == version:  # no newer change arrived
            publish(uri, version)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls, params: lsp.DidSaveTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: lsp.DidCloseTextDocumentParams) -> None:
        server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))
    def completion(ls, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        text = server.workspace.get_text_document(uri).source
        line, column = engine_position(text, params.position)
        start = position(text, *ide.replace_start(text, line, column))
        edit_range = lsp.Range(start=start, end=params.position)
        items = [lsp.CompletionItem(label=c.label, kind=kinds[c.kind], detail=c.detail or None,
                                    text_edit=lsp.TextEdit(range=edit_range, new_text=c.label))
                 for c in ide.completions(text, line, column, context(uri, text))]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls, params: lsp.HoverParams) -> Optional[lsp.Hover]:
        uri = params.text_document.uri
        text = server.workspace.get_text_document(uri).source
        found = ide.hover(text, *engine_position(text, params.position), context(uri, text))
        if found is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.PlainText, value=found.text),
                         range=lsp.Range(start=position(text, found.line, found.column),
                                         end=position(text, found.end_line, found.end_column)))

    return server


def _units(server, text: str) -> int:
    """How many code units the client counts in ``text`` (UTF-16 unless it asked for another)."""
    return server.workspace.position_codec.client_num_units(text)


@click.command("lsp")
def lsp() -> None:
    """语言服务器(LSP,经标准输入输出):为编辑器提供 .jc 文件的诊断、补全和悬停说明。"""
    make_server().start_io()


COMMANDS = [lsp]
