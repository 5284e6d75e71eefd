"""$ref following shared by the rule checker and the form service."""
from __future__ import annotations

import pytest

from jiceng.dsl.taskform import FormError, follow_ref

DOCS = {"https://f/national/task.schema.json": {"$defs": {"kinds": [{"type": "string"}], "a/b": {"type": "integer"}},
                                                "properties": {"x": {"type": "boolean"}}}}


def test_follows_documents_pointers_escapes_and_array_indices():
    base, root = "https://f/hunan/task.schema.json", {}
    node, uri, _ = follow_ref("../national/task.schema.json#/$defs/kinds/0", base, root, DOCS.get)
    assert node == {"type": "string"} and uri == "https://f/national/task.schema.json"
    assert follow_ref("../national/task.schema.json#/$defs/a~1b", base, root, DOCS.get)[0] == {"type": "integer"}


@pytest.mark.parametrize("ref, message", [("../nowhere.json", "无法解析"), ("../national/task.schema.json#/$defs/none", "不存在"),
                                          ("../national/task.schema.json#/$defs/kinds", "不是对象")])
def test_bad_references_are_form_errors(ref, message):
    with pytest.raises(FormError, match=message):
        follow_ref(ref, "https://f/hunan/task.schema.json", {}, DOCS.get)
