"""The pack editor's endpoints (POST .../editor/diagnostics, completions, hover): the engine of
`jiceng lint` over the tenant's chain in force, for the tenant's admins, with bounded input.

The database is loaded from tests/platform/fixtures, so the chain in force is those files: the
service's answers are compared with the same engine run on the folders (a differential test of
the context the service builds from its database)."""
from __future__ import annotations

import re

import pytest

from jiceng.dsl import ide
from jiceng.dsl.functions import default_registry
from jiceng.dsl.taskform import FileForms
from jiceng.platform.api.editor import (CompletionsResponseSchema, DiagnosticsResponseSchema, HoverResponseSchema,
                                        MAX_SOURCE_BYTES)

from .conftest import FIXTURES

BASE = "/api/v1/tenants/{tenant}/editor/{what}"
ADMIN = ("changsha", "admin")
CHAIN = ("national", "hunan", "changsha")
PACK = (FIXTURES / "rule_packs" / "changsha" / "pack.jc").read_text(encoding="utf-8")
BROKEN = [
    PACK.replace("target.level == street", "target.levl == street"),         # E205, E201
    PACK.replace("cite S003C", "cite S003X"),                                  # E209 with a hint
    PACK.replace("then reject", "then require fundin"),                        # E208
    PACK + "\nrule 新规则 when task.\n",                                        # E103 at the end
    PACK.replace("list 街道取消事项 kind forbidden", "list 街道取消事项 kind forbiden"),  # E207
    PACK + "\ndisable 协助须经费\n",                                             # E406: not overridable
]


def post(api, what, body, as_=ADMIN, tenant="changsha"):
    return api.post(BASE.format(tenant=tenant, what=what), as_, json=body)


def on_disk(source: str, tenant: str = "changsha", file: str = "pack.jc") -> list[tuple]:
    """What the engine says with the fixture folders as the context (as `jiceng lint` reads them)."""
    found = ide.diagnostics(source, ide.EditorContext.for_pack(FIXTURES / "rule_packs", tenant, file))
    return [_key(d.to_dict()) for d in found]


def _key(d: dict) -> tuple:
    return d["line"], d["column"], d["end_line"], d["end_column"], d["code"], d["severity"], d["message"], d["in_source"]


def cursor_at_end(text: str) -> dict:
    lines = text.split("\n")
    return {"line": len(lines), "column": len(lines[-1]) + 1}


def labels(answer: dict, kind: str | None = None) -> list[str]:
    return [i["label"] for i in answer["items"] if kind is None or i["kind"] == kind]


# ---------------------------------------------------------------------- diagnostics
@pytest.mark.parametrize("source", BROKEN)
def test_diagnostics_are_the_engines_over_the_chain_in_force(api, source):
    r = post(api, "diagnostics", {"source": source})
    assert r.status_code == 200, r.json
    assert DiagnosticsResponseSchema().validate(r.json) == {}
    found = r.json["diagnostics"]
    assert found and [_key(d) for d in found] == on_disk(source)
    assert r.json["errors"] == sum(d["severity"] == "error" for d in found) >= 1
    assert all(d["file"] == "changsha/pack.jc" and d["in_source"] for d in found)


def test_an_unknown_field_is_placed_and_explained(api):
    r = post(api, "diagnostics", {"source": BROKEN[0]})
    first = r.json["diagnostics"][0]
    row = next(i for i, line in enumerate(BROKEN[0].split("\n"), 1) if "levl" in line)
    column = BROKEN[0].split("\n")[row - 1].index("target.levl") + 1
    assert (first["code"], first["line"], first["column"], first["end_column"]) == ("E205", row, column, column + 11)
    assert "您是不是要写 level" in first["message"]


def test_the_pack_as_published_is_clean_and_a_new_tenants_pack_is_checked_over_its_parents(api):
    assert post(api, "diagnostics", {"source": PACK}).json == {"errors": 0, "warnings": 0, "diagnostics": []}
    # zhuzhou has no pack yet: a first one extends the registered parent's pack in force
    first = 'pack zhuzhou extends hunan\nrule 株洲 when task.item_code in 协助事项 then warn "协助"\n'
    assert post(api, "diagnostics", {"source": first}, ("zhuzhou", "admin"), "zhuzhou").json["errors"] == 0
    wrong = first.replace("extends hunan", "extends national")
    codes = [d["code"] for d in post(api, "diagnostics", {"source": wrong}, ("zhuzhou", "admin"), "zhuzhou").json["diagnostics"]]
    assert "E412" in codes  # the registry's chain, as a draft upload is held to it


def test_another_file_of_the_pack_is_checked_beside_the_published_ones(api):
    test = 'test "街道" {\n  given task { title: "招商", category: "招商引资" } target { level: street }\n  expect reject by 街道取消招商引资\n}\n'
    r = post(api, "diagnostics", {"source": test, "file": "tests/more.jc"})
    assert r.json["errors"] == 0  # the rule it names is in pack.jc, which stays
    r = post(api, "diagnostics", {"source": test.replace("by 街道取消招商引资", "by 街道取消招商"), "file": "tests/more.jc"})
    found = r.json["diagnostics"]
    assert [(d["code"], d["file"], d["line"]) for d in found] == [("E210", "changsha/tests/more.jc", 3)]
    assert [_key(d) for d in found] == on_disk(test.replace("by 街道取消招商引资", "by 街道取消招商"), file="tests/more.jc")


def test_a_problem_in_another_file_is_reported_as_elsewhere(api):
    # a second pack header in a new file: extra.jc comes before pack.jc, so the published file's
    # header is the one too many — in the pack, not in the edited text
    r = post(api, "diagnostics", {"source": "pack changsha extends hunan\n", "file": "extra.jc"})
    found = r.json["diagnostics"]
    assert [(d["code"], d["file"], d["line"], d["in_source"]) for d in found] == [("E211", "changsha/pack.jc", 1, False)]
    assert found[0]["notes"] == [{"file": "changsha/extra.jc", "line": 1, "column": 1, "message": "第一个 pack 声明在此"}]
    assert [_key(d) for d in found] == on_disk("pack changsha extends hunan\n", file="extra.jc")


# ---------------------------------------------------------------------- completions
def test_completions_offer_the_inherited_chain_and_the_tenants_form(api):
    text = PACK + "\nrule 新规则 when "
    r = post(api, "completions", {"source": text, **cursor_at_end(text)})
    assert r.status_code == 200 and CompletionsResponseSchema().validate(r.json) == {}
    assert {"社区工作者配比", "考核上限"} <= set(labels(r.json, "param"))                  # national's
    assert {"自治事项", "协助事项", "街道取消事项"} <= set(labels(r.json, "list"))          # national, hunan, own
    assert set(default_registry().functions) <= set(labels(r.json, "function"))
    assert {"task", "target", "history"} <= set(labels(r.json, "variable"))
    assert {"not", "true", "any"} <= set(labels(r.json, "keyword"))

    text = PACK + "\nrule 新规则 when task."
    r = post(api, "completions", {"source": text, **cursor_at_end(text)})
    form = FileForms(FIXTURES / "form_schemas").task_form(["changsha", "hunan", "national"], default_registry().units)
    assert set(labels(r.json, "field")) == set(form.record.fields) and "contact" in form.record.fields
    assert r.json["from"] == cursor_at_end(text)


def test_completions_filter_by_what_is_typed_and_say_where_it_begins(api):
    text = PACK + "\nrule 新规则 when task.fun"
    r = post(api, "completions", {"source": text, **cursor_at_end(text)})
    assert [(i["label"], i["kind"]) for i in r.json["items"]] == [("funding_provided", "field")]
    end = cursor_at_end(text)
    assert r.json["from"] == {"line": end["line"], "column": end["column"] - 3}


@pytest.mark.parametrize("tail, kind, expected", [
    ("\ndisable ", "rule", ["清单外事项"]),                          # national's, overridable
    ("\nrule 新规则 cite ", "source", sorted(m for t in CHAIN for m in re.findall(r"^source (\w+)", (
        FIXTURES / "rule_packs" / t / "pack.jc").read_text(encoding="utf-8"), re.M))),
    ("\nrule 新规则 when 1 ", "unit", sorted(default_registry().units.names())),
    ("\nrule 新规则 when target.level == ", "value", ["city", "community", "county", "grid", "province",
                                                      "street", "township", "village"]),
])
def test_completions_after_a_keyword_name_what_fits_there(api, tail, kind, expected):
    text = PACK + tail
    r = post(api, "completions", {"source": text, **cursor_at_end(text)})
    assert sorted(labels(r.json, kind)) == sorted(expected)


def test_hover_names_a_rules_citation(api):
    row = next(i for i, line in enumerate(PACK.split("\n"), 1) if line.startswith("rule "))
    r = post(api, "hover", {"source": PACK, "line": row, "column": 7})
    assert r.status_code == 200 and HoverResponseSchema().validate(r.json) == {}
    assert r.json["hover"]["line"] == row and r.json["hover"]["column"] == 6
    assert "依据:S003C 湘组发《若干措施(试行)》 一、赋予街道党工委相应职权" in r.json["hover"]["text"]
    assert post(api, "hover", {"source": PACK, "line": 1, "column": 1}).json == {"hover": None}


# ---------------------------------------------------------------------- who, and how much
@pytest.mark.parametrize("what", ["diagnostics", "completions", "hover"])
def test_only_the_tenants_admins(api, what):
    body = {"source": PACK, **({} if what == "diagnostics" else {"line": 1, "column": 1})}
    assert post(api, what, body, ("changsha", "department")).status_code == 403
    assert post(api, what, body, ("changsha", "designer")).status_code == 403
    assert post(api, what, body, ("heilongjiang", "admin")).json["error"]["code"] == "tenant_not_found"
    assert post(api, what, body, None).status_code == 401
    assert post(api, what, body, ("hunan", "admin")).status_code == 200  # a parent's admin reaches changsha


def test_bounded_input(api):
    big = "#" * (MAX_SOURCE_BYTES + 1)
    r = post(api, "diagnostics", {"source": big})
    assert r.status_code == 413 and r.json["error"]["code"] == "source_too_large"
    assert r.json["error"]["details"] == {"limit": MAX_SOURCE_BYTES, "size": MAX_SOURCE_BYTES + 1}
    assert post(api, "diagnostics", {"source": "#" * MAX_SOURCE_BYTES}).status_code == 200

    lines = PACK.split("\n")
    r = post(api, "completions", {"source": PACK, "line": len(lines) + 1, "column": 1})
    assert r.status_code == 422 and r.json["error"]["code"] == "position_out_of_range"
    assert r.json["error"]["details"][0]["path"] == "/line"
    r = post(api, "completions", {"source": PACK, "line": 1, "column": len(lines[0]) + 2})
    assert r.json["error"]["details"][0]["path"] == "/column"
    assert post(api, "completions", {"source": PACK, "line": 1, "column": len(lines[0]) + 1}).status_code == 200

    for body, path in [({}, "/source"), ({"source": 3}, "/source"), ({"source": "", "file": "../x.jc"}, "/file"),
                       ({"source": "", "file": "pack.txt"}, "/file"), ({"source": "", "line": 1}, "/column"),
                       ({"source": "", "extra": 1}, "/extra")]:
        what = "completions" if "line" in body else "diagnostics"
        r = post(api, what, body)
        assert r.status_code == 422 and r.json["error"]["code"] == "invalid_request", body
        assert path in [d["path"] for d in r.json["error"]["details"]], (body, r.json)
    r = post(api, "diagnostics", {"source": PACK, "number": 999})
    assert r.status_code == 404 and r.json["error"]["code"] == "pack_version_not_found"


def test_broken_text_never_fails_the_request(api):
    """Cut the pack anywhere and ask everything at the cut: always 200."""
    text = BROKEN[3]
    for cut in range(0, len(text), max(1, len(text) // 25)):
        part = text[:cut]
        at = cursor_at_end(part)
        for what in ("completions", "hover"):
            r = post(api, what, {"source": part, **at})
            assert r.status_code == 200, (what, part[-40:], r.json)
        assert post(api, "diagnostics", {"source": part}).status_code == 200
