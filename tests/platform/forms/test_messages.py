"""zh-CN messages for every keyword the forms use: built from the keyword and its parameters, at JSON pointers."""
from __future__ import annotations

import re

FORMS = "/api/v1/tenants/{}/forms/{}"
DESIGNER = ("changsha", "designer")

#: one field per keyword, and the data that fails it
EVERY_KEYWORD = {
    "type": "object",
    "required": ["needed"],
    "properties": {
        "needed": {"type": "string", "x-label": "必填项"},
        "count": {"type": "integer"},
        "either": {"type": ["string", "null"]},
        "choice": {"enum": ["a", "b"], "x-enum-labels": {"a": "甲", "b": "乙"}},
        "fixed": {"const": "yes"},
        "low": {"type": "number", "minimum": 3},
        "high": {"type": "number", "maximum": 3},
        "above": {"type": "number", "exclusiveMinimum": 3},
        "below": {"type": "number", "exclusiveMaximum": 3},
        "short": {"type": "string", "minLength": 2},
        "long": {"type": "string", "maxLength": 2},
        "digits": {"type": "string", "pattern": "^[0-9]+$"},
        "day": {"type": "string", "format": "date"},
        "mail": {"type": "string", "format": "email"},
        "few": {"type": "array", "minItems": 2},
        "many": {"type": "array", "maxItems": 1},
        "distinct": {"type": "array", "uniqueItems": True},
        "step": {"type": "integer", "multipleOf": 5},
        "strict": {"type": "object", "properties": {"a": {}}, "additionalProperties": False},
        "pair": {"type": "object", "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
                 "x-compare": [{"left": "/end", "op": ">=", "right": "/start"}]},
    },
    "unevaluatedProperties": False,
}
BAD = {"count": "3", "either": 1, "choice": "c", "fixed": "no", "low": 1, "high": 5, "above": 3, "below": 3,
       "short": "a", "long": "abc", "digits": "12a", "day": "2024-02-30", "mail": "x", "few": [1], "many": [1, 2],
       "distinct": [1, 1], "step": 7, "strict": {"a": 1, "b": 2}, "pair": {"start": "2024-05-01", "end": "2024-04-01"},
       "stray": 1}
EXPECTED = {
    "/needed": "缺少必填字段 needed(必填项)",
    "/count": "类型不符,应为整数",
    "/either": "类型不符,应为空值或字符串",
    "/choice": "取值无效,应为以下之一:a(甲)、b(乙)",
    "/fixed": "取值应为 yes",
    "/low": "不能小于 3",
    "/high": "不能大于 3",
    "/above": "必须大于 3",
    "/below": "必须小于 3",
    "/short": "长度不能少于 2 个字",
    "/long": "长度不能超过 2 个字",
    "/digits": "格式不符,应只由数字组成",
    "/day": "格式不符,应为日期(YYYY-MM-DD)",
    "/mail": "格式不符,应为电子邮箱",
    "/few": "至少需要 2 项",
    "/many": "最多 1 项",
    "/distinct": "各项不能重复",
    "/step": "应为 5 的倍数",
    "/strict/b": "表单中没有字段 b",
    "/pair/end": "end(2024-04-01)应不小于 start(2024-05-01)",
    "/stray": "表单中没有字段 stray",
}


def test_every_keyword_has_a_zh_cn_message_at_its_pointer(api):
    r = api.put(FORMS.format("changsha", "keywords"), DESIGNER, json={"schema": EVERY_KEYWORD})
    assert r.status_code == 200, r.json
    r = api.post(FORMS.format("changsha", "keywords") + "/validate", DESIGNER, json={"data": BAD})
    body = r.json
    assert body["valid"] is False
    got = {e["path"]: e["message"] for e in body["errors"]}
    assert got == EXPECTED
    for e in body["errors"]:  # never the library's English
        assert not re.search(r"\b(is|not|of|expected|allowed|valid)\b", e["message"]), e


def test_good_data_is_valid(api):
    api.put(FORMS.format("changsha", "keywords"), DESIGNER, json={"schema": EVERY_KEYWORD})
    good = {"needed": "x", "count": 3, "choice": "a", "low": 3, "pair": {"start": "2024-05-01", "end": "2024-05-02"},
            "distinct": [1, 2], "step": 10}
    r = api.post(FORMS.format("changsha", "keywords") + "/validate", DESIGNER, json={"data": good})
    assert r.json["valid"] is True and r.json["errors"] == []


def test_task_errors_on_admission_keep_the_task_prefix(api, units):
    r = api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"),
                 json={"task": {"kind": "nonsense", "deadline": "2024-13-01"}, "target": {"level": "street"}})
    assert r.status_code == 422 and r.json["error"]["code"] == "form_invalid"
    paths = {d["path"] for d in r.json["error"]["details"]}
    assert paths == {"/task/title", "/task/kind", "/task/deadline"}
