"""The pack editor's language support: diagnostics, completion and hover for the text being edited.

For the admins of a tenant (``pack.write``). The text is one file of the tenant's pack, checked
with the pack's other files and its chain in force (:mod:`jiceng.platform.editing.context`) by
the engine behind `jiceng lint` and `jiceng lsp` (:mod:`jiceng.dsl.ide`). Nothing is stored.
Lines and columns count from 1; a column counts characters (a Chinese character is one), as
every diagnostic of the service does.

Requests (JSON; ``file`` and ``number`` are optional everywhere)::

    POST /api/v1/tenants/<tenant>/editor/diagnostics
        {"source": "pack changsha ...", "file": "pack.jc", "number": 3}
    POST /api/v1/tenants/<tenant>/editor/completions
        {"source": "...", "line": 18, "column": 22, "file": "pack.jc"}
    POST /api/v1/tenants/<tenant>/editor/hover
        {"source": "...", "line": 16, "column": 8}

* ``source``: the editor's text, at most :data:`MAX_SOURCE_BYTES` bytes in UTF-8 (413
  ``source_too_large``, ``details: {limit, size}``);
* ``file``: its name in the pack (default ``pack.jc``; a relative path ending in ``.jc``, as
  in a draft's ``files``); the pack's other files stay as they are;
* ``number``: the version whose other files accompany it (default: the version in force
  today; 404 ``pack_version_not_found`` for one the tenant does not have);
* ``line``, ``column``: the cursor, within the text (``column`` at most the line's length + 1;
  422 ``position_out_of_range`` otherwise, ``details: [{path: "/line" | "/column", message}]``).

Answers (200)::

    diagnostics: {"errors": 1, "warnings": 0,
                  "diagnostics": [{"file": "changsha/pack.jc", "line": 18, "column": 8,
                                   "end_line": 18, "end_column": 19, "code": "E205",
                                   "severity": "error", "in_source": true, "notes": [],
                                   "message": "target(接收单位) 没有字段 levl;您是不是要写 level?"}]}
    completions: {"from": {"line": 18, "column": 15},
                  "items": [{"label": "level", "kind": "field", "detail": "level 取值(...)"}]}
    hover:       {"hover": {"line": 16, "column": 6, "end_line": 16, "end_column": 18,
                            "text": "规则 …\\n结果:reject;规则包:changsha\\n依据:S003 …"}}   (or null)

``in_source`` is false for a problem in another file of the pack or of its chain that keeps
this text from compiling (its ``file`` says where). Diagnostics in the text come first, by
position. ``items``: names first, then keywords, each beginning with the part of a name typed
before the cursor; ``from`` is where that part begins (a completion replaces ``from`` up to the
cursor). ``kind`` is one of ``keyword list param field function unit rule source requirement
variable value``. Errors are the service's JSON error bodies (docs/api.md §3).
"""
from __future__ import annotations

from flask import Blueprint
from marshmallow import ValidationError, validate

from jiceng.dsl import ide
from jiceng.dsl.ide.context import DEFAULT_FILE
from jiceng.platform.api.auth import requires
from jiceng.platform.api.body import json_body
from jiceng.platform.api.context import runtime
from jiceng.platform.api.errors import ApiError
from jiceng.platform.api.fields import Bool, Int, List, Nested, Str, ZhSchema
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.editing.context import editor_context
from jiceng.platform.packs.lifecycle import FILE_NAME

bp = Blueprint("editor", __name__, url_prefix="/api/v1/tenants/<tenant>/editor")
TAGS = ["规则包编辑器"]
#: the largest text the editor may send: a pack file of a thousand rules is about 150 KiB
MAX_SOURCE_BYTES = 512 * 1024


# ---------------------------------------------------------------------- schemas
def _file_name(name: str) -> None:
    """A file name as a draft's ``files`` has them (:func:`~jiceng.platform.packs.lifecycle.check_files`)."""
    if not FILE_NAME.match(name) or ".." in name.split("/"):
        raise ValidationError("文件名应为相对路径并以 .jc 结尾")


class EditorRequestSchema(ZhSchema):
    source = Str(required=True, metadata={"description": f"编辑器中的规则文本(UTF-8 至多 {MAX_SOURCE_BYTES} 字节)"})
    file = Str(load_default=DEFAULT_FILE, validate=_file_name,
               metadata={"description": "它在规则包中的文件名(默认 pack.jc);规则包的其他文件保持不变"})
    number = Int(validate=validate.Range(min=1, error="应为正整数"),
                 metadata={"description": "与哪个版本的其他文件一起检查(默认:今天生效的版本)"})


class PositionRequestSchema(EditorRequestSchema):
    line = Int(required=True, validate=validate.Range(min=1, error="应为正整数"), metadata={"description": "光标所在行(从 1 起)"})
    column = Int(required=True, validate=validate.Range(min=1, error="应为正整数"),
                 metadata={"description": "光标所在列(从 1 起,按字符计,至多为该行字数加 1)"})


class NoteSchema(ZhSchema):
    file = Str(required=True)
    line = Int(required=True)
    column = Int(required=True)
    message = Str(required=True)


class EditorDiagnosticSchema(ZhSchema):
    file = Str(required=True)
    line = Int(required=True)
    column = Int(required=True)
    end_line = Int(required=True)
    end_column = Int(required=True)
    code = Str(required=True, metadata={"description": "docs/errors.md 中的稳定代码,如 E205"})
    message = Str(required=True)
    severity = Str(required=True, validate=validate.OneOf(["error", "warning"]))
    in_source = Bool(required=True, metadata={"description": "是否在所编辑的文本中(否则在规则包的其他文件或上级规则包中)"})
    notes = List(Nested(NoteSchema), required=True)


class DiagnosticsResponseSchema(ZhSchema):
    errors = Int(required=True)
    warnings = Int(required=True)
    diagnostics = List(Nested(EditorDiagnosticSchema), required=True)


class PositionSchema(ZhSchema):
    line = Int(required=True)
    column = Int(required=True)


class CompletionSchema(ZhSchema):
    label = Str(required=True)
    kind = Str(required=True, validate=validate.OneOf(ide.KINDS))
    detail = Str(required=True)


class CompletionsResponseSchema(ZhSchema):
    from_ = Nested(PositionSchema, required=True, data_key="from",
                   metadata={"description": "光标前已输入的名称从哪里开始:补全替换从这里到光标的文字"})
    items = List(Nested(CompletionSchema), required=True)


class HoverSchema(ZhSchema):
    line = Int(required=True)
    column = Int(required=True)
    end_line = Int(required=True)
    end_column = Int(required=True)
    text = Str(required=True)


class HoverResponseSchema(ZhSchema):
    hover = Nested(HoverSchema, required=True, allow_none=True)


# ---------------------------------------------------------------------- routes
@bp.post("/diagnostics")
@operation("编辑中的规则文本的诊断(与 jiceng lint 相同的检查)", TAGS, body=EditorRequestSchema,
           response=DiagnosticsResponseSchema, errors=(401, 403, 404, 413, 422))
@requires("pack.write")
def diagnostics(tenant: str):
    body = _request(EditorRequestSchema())
    found = ide.diagnostics(body["source"], _context(tenant, body))
    return respond(DiagnosticsResponseSchema(), {
        "errors": sum(d.is_error for d in found), "warnings": sum(not d.is_error for d in found),
        "diagnostics": [d.to_dict() for d in found]})


@bp.post("/completions")
@operation("光标处可写的关键字和名称(清单、参数、字段、函数、单位、规则、依据来源……)", TAGS,
           body=PositionRequestSchema, response=CompletionsResponseSchema, errors=(401, 403, 404, 413, 422))
@requires("pack.write")
def completions(tenant: str):
    body = _request(PositionRequestSchema(), position=True)
    source, line, column = body["source"], body["line"], body["column"]
    items = ide.completions(source, line, column, _context(tenant, body))
    start_line, start_column = ide.replace_start(source, line, column)
    return respond(CompletionsResponseSchema(), {"from_": {"line": start_line, "column": start_column},
                                                 "items": [c.to_dict() for c in items]})


@bp.post("/hover")
@operation("光标处名称的说明(规则的依据、参数的取值、字段的类型……)", TAGS, body=PositionRequestSchema,
           response=HoverResponseSchema, errors=(401, 403, 404, 413, 422))
@requires("pack.write")
def hover(tenant: str):
    body = _request(PositionRequestSchema(), position=True)
    found = ide.hover(body["source"], body["line"], body["column"], _context(tenant, body))
    return respond(HoverResponseSchema(), {"hover": found.to_dict() if found else None})


def _request(schema: ZhSchema, position: bool = False) -> dict:
    """The body, with the text within :data:`MAX_SOURCE_BYTES` and the cursor within the text."""
    body = json_body(schema)
    size = len(body["source"].encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        raise ApiError(413, "source_too_large", f"规则文本过大({size} 字节,上限 {MAX_SOURCE_BYTES} 字节)",
                       {"limit": MAX_SOURCE_BYTES, "size": size})
    if position:
        lines = body["source"].split("\n")
        if body["line"] > len(lines):
            raise ApiError(422, "position_out_of_range", f"第 {body['line']} 行超出文本(共 {len(lines)} 行)",
                           [{"path": "/line", "message": f"应在 1 到 {len(lines)} 之间"}])
        width = len(lines[body["line"] - 1]) + 1
        if body["column"] > width:
            raise ApiError(422, "position_out_of_range", f"第 {body['line']} 行第 {body['column']} 列超出该行",
                           [{"path": "/column", "message": f"应在 1 到 {width} 之间"}])
    return body


def _context(tenant: str, body: dict) -> ide.EditorContext:
    return editor_context(runtime(), tenant, body["file"], body.get("number"))
