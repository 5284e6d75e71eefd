"""form_schemas/*/task.schema.json: the canonical task of SPEC §5 and its tenant extensions."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_FIELDS = {
    "title": {"type": "string"},
    "item_code": {"type": "string"},
    "category": {"type": "string", "x-vocabulary": "事项类别"},
    "kind": {"type": "string", "x-vocabulary": "任务类型"},  # SPEC's enum, extensible: see test_vocabulary
    "role": {"type": "string", "enum": ["responsible", "assist"]},
    "source_unit": {"type": "string"},
    "source_department": {"type": "string"},
    "target_unit": {"type": "string"},
    "funding_provided": {"type": "boolean"},
    "work_conditions_provided": {"type": "boolean"},
    "one_vote_veto": {"type": "boolean"},
    "unified_deployment": {"type": "boolean"},
    "approval": {"type": ["string", "null"]},
    "deadline": {"type": "string", "format": "date"},
}
REPO = Path(__file__).resolve().parents[2]
#: the tenants with a task form of their own, as found on disk (a tenant added per docs/tenants.md
#: may bring one); the national one, which the others extend, must be among them
FORMS = sorted(p.parent.name for p in (REPO / "form_schemas").glob("*/task.schema.json"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def form_path(repo: Path, tenant: str) -> Path:
    return repo / "form_schemas" / tenant / "task.schema.json"


def own_properties(schema: dict) -> dict:
    props = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        props.update(part.get("properties", {}))
    return props


def validator(repo: Path, tenant: str) -> Draft202012Validator:
    """A validator that follows the relative $ref to the national form on disk."""
    def retrieve(uri: str) -> Resource:
        text = Path(urlparse(uri).path).read_text(encoding="utf-8")
        return Resource.from_contents(json.loads(text), default_specification=DRAFT202012)
    return Draft202012Validator({"$ref": form_path(repo, tenant).as_uri()}, registry=Registry(retrieve=retrieve))


def test_only_task_forms_of_known_tenants(repo):
    found = sorted(p.relative_to(repo / "form_schemas").as_posix()
                   for p in (repo / "form_schemas").rglob("task.schema.json"))
    registered = {p.stem for p in (repo / "tenants").glob("*.toml")}
    assert "national" in FORMS and set(FORMS) <= registered
    assert found == sorted(f"{t}/task.schema.json" for t in FORMS)


@pytest.mark.parametrize("tenant", FORMS)
def test_form_is_a_valid_2020_12_schema_with_chinese_labels(repo, tenant):
    schema = json.loads(form_path(repo, tenant).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert CJK.search(schema["title"])
    for name, prop in own_properties(schema).items():
        assert CJK.search(prop.get("title", "")) and CJK.search(prop.get("description", "")), name


def test_national_form_has_the_canonical_fields(repo):
    schema = json.loads(form_path(repo, "national").read_text(encoding="utf-8"))
    assert schema["required"] == ["title"]
    for name, expected in SPEC_FIELDS.items():
        prop = schema["properties"][name]
        assert {k: prop[k] for k in expected} == expected, name


@pytest.mark.parametrize("tenant", ["hunan", "chengdu"])
def test_tenant_forms_extend_the_national_one(repo, tenant):
    schema = json.loads(form_path(repo, tenant).read_text(encoding="utf-8"))
    assert schema["allOf"][0] == {"$ref": "../national/task.schema.json"}
    assert not set(own_properties(schema)) & set(SPEC_FIELDS), "extensions add fields, never redefine"


@pytest.mark.parametrize("tenant", FORMS)
def test_every_extra_field_is_read_by_a_rule(repo, tenant):
    """Forms stay minimal: a field beyond SPEC §5 exists because a rule reads it."""
    schema = json.loads(form_path(repo, tenant).read_text(encoding="utf-8"))
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (repo / "rule_packs").rglob("*.jc")
                        if "tests" not in p.parts)
    for name in set(own_properties(schema)) - set(SPEC_FIELDS):
        assert f"task.{name}" in sources, name


def test_hunan_form_validates_through_the_national_reference(repo):
    v = validator(repo, "hunan")
    good = {"title": "2024 年社区工作者招录", "kind": "work", "recruit_max_age": 35, "recruit_min_education": "大专",
            "approval": None, "deadline": "2024-06-30"}
    assert not list(v.iter_errors(good))
    assert list(v.iter_errors({**good, "kind": 3})), "the national field's type still applies"
    assert list(v.iter_errors({**good, "recruit_min_education": "博士后"}))
    assert list(v.iter_errors({"kind": "work"})), "title is required"


def test_chengdu_form_validates_through_the_national_reference(repo):
    v = validator(repo, "chengdu")
    assert not list(v.iter_errors({"title": "组织议事会", "via_platform": True}))
    assert list(v.iter_errors({"title": "组织议事会", "via_platform": "是"}))
