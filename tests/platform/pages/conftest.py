"""Fixtures for the operator's pages: Changsha's task form with the shipped labels.

The fixture task form (``tests/platform/fixtures/form_schemas``) has no labels;
:func:`labelled_api` stores a Changsha task form over the API, as a designer
would, that extends it with the presentation keywords of the shipped national
task form (labels, help, order, enum labels) and nothing else, so the pages
show what an operator sees.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[3]
PRESENTATION = ("title", "description", "x-order", "x-enum-labels", "x-widget", "x-unit")


def labelled_task_form() -> dict:
    shipped = json.loads((REPO / "form_schemas" / "national" / "task.schema.json").read_text(encoding="utf-8"))
    fixture = json.loads((REPO / "tests" / "platform" / "fixtures" / "form_schemas" / "national" / "task.schema.json")
                         .read_text(encoding="utf-8"))
    properties = {name: {k: v for k, v in shipped["properties"][name].items() if k in PRESENTATION}
                  for name in fixture["properties"]}
    properties["contact"] = {"type": "string", "maxLength": 50, "title": "联系人", "x-order": 900}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "长沙市任务表单",
            "allOf": [{"$ref": "../national/task.schema.json"}], "properties": properties}


@pytest.fixture(scope="module")
def labelled_api(api):
    """The API with Changsha's labelled task form stored (a new version of its task form)."""
    r = api.put("/api/v1/tenants/changsha/forms/task", ("changsha", "designer"), json={"schema": labelled_task_form()})
    assert r.status_code == 200, r.json
    return api


@pytest.fixture(scope="session")
def task_form() -> dict:
    return labelled_task_form()
