"""Form errors name the right field and never show a regular expression (issue 11, item 3)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from jiceng.platform.forms import validation
from jiceng.platform.forms.messages import pattern_hint
from jiceng.platform.forms.store import FormSnapshot, StoredForm, form_uri
from jiceng.platform.forms.vocabulary import check_schema

ROOT = Path(__file__).resolve().parents[3]


def _without_params(node):
    """The form with its x-param bindings dropped (they need a pack; labels do not)."""
    if isinstance(node, dict):
        return {k: _without_params(v) for k, v in node.items() if k != "x-param"}
    if isinstance(node, list):
        return [_without_params(v) for v in node]
    return node


def _problems(schema: dict, data, others: dict | None = None, tenant: str = "hunan", name: str = "grid"):
    form = StoredForm(1, tenant, name, 1, schema)
    forms = {(tenant, name): form}
    for i, ((t, n), s) in enumerate((others or {}).items(), start=2):
        forms[(t, n)] = StoredForm(i, t, n, 1, s)
    return validation.problems(form, FormSnapshot(len(forms), forms), data)


def _grid() -> dict:
    return _without_params(json.loads((ROOT / "form_schemas/hunan/grid.schema.json").read_text(encoding="utf-8")))


def test_a_nested_label_does_not_replace_the_top_level_one():
    found = {p["path"]: p["message"] for p in _problems(_grid(), {"workers": [{"phone": "13800000000"}]})}
    assert found["/name"] == "缺少必填字段 name(网格名称)"
    assert found["/workers/0/name"] == "缺少必填字段 name(姓名)"


def test_a_non_object_is_reported_once():
    base = {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}
    child = {"type": "object", "allOf": [{"$ref": "../national/task.schema.json"}],
             "properties": {"extra": {"type": "string"}}}
    found = _problems(child, "不是对象", {("national", "task"): base}, name="task")
    assert found == [{"path": "", "message": "类型不符,应为对象"}]


def test_pattern_errors_say_what_the_field_looks_like():
    grid = _grid()
    found = {p["path"]: p["message"] for p in _problems(grid, {"code": "4301", "community": "x",
                                                                "workers": [{"name": "张三", "phone": "123"}]})}
    assert found["/code"] == "格式不符,应为 15 位数字"
    assert found["/community"] == "格式不符,应为 12 位数字"
    assert found["/workers/0/phone"] == "格式不符,应为以 1 开头的 11 位数字"
    assert not any("正则" in m or "[0-9]" in m or "^" in m for m in found.values())


def test_a_hint_or_else_the_label_alone():
    schema = {"type": "object", "properties": {
        "id_card": {"type": "string", "pattern": "^[0-9]{17}[0-9X]$", "x-label": "身份证号",
                    "x-pattern-hint": "18 位身份证号码,末位可为 X"},
        "plate": {"type": "string", "pattern": "^[A-Z]{2}-[a-z]+$", "x-label": "牌照"}}}
    assert check_schema(schema) == []
    found = {p["path"]: p["message"] for p in _problems(schema, {"id_card": "43", "plate": "?"})}
    assert found == {"/id_card": "格式不符:18 位身份证号码,末位可为 X", "/plate": "牌照格式不正确"}


def test_simple_patterns_are_described():
    assert pattern_hint("^[0-9]{15}$") == "应为 15 位数字"
    assert pattern_hint(r"^\d{6}$") == "应为 6 位数字"
    assert pattern_hint("^[0-9]{12}([0-9]{3})?$") == "应为 12 位或 15 位数字"
    assert pattern_hint("^1[3-9][0-9]{9}$") == "应为以 1 开头的 11 位数字"
    assert pattern_hint("^[0-9]+$") == "应只由数字组成"
    for other in ("^[0-9]{17}[0-9X]$", "^[a-z]+$", "[0-9]{3}", "^[0-9]*$"):
        assert pattern_hint(other) is None, other


def test_the_hint_keyword_is_part_of_the_form_vocabulary():
    base = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}}}
    ok = copy.deepcopy(base)
    ok["properties"]["code"]["x-pattern-hint"] = "6 位邮政编码"
    assert check_schema(ok) == []
    not_text = copy.deepcopy(base)
    not_text["properties"]["code"]["x-pattern-hint"] = 6
    assert [p["path"] for p in check_schema(not_text)] == ["/properties/code/x-pattern-hint"]
    alone = {"type": "object", "properties": {"code": {"type": "string", "x-pattern-hint": "6 位邮政编码"}}}
    assert [p["path"] for p in check_schema(alone)] == ["/properties/code/x-pattern-hint"]


def test_form_uri_is_where_refs_point():  # the fixture above relies on it
    assert form_uri("national", "task").endswith("/national/task.schema.json")
