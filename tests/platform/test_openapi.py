"""OpenAPI generated from the schemas; /docs readable from local assets; the landing page."""
from __future__ import annotations

import re

SPEC_TABLE = [  # SPEC §7, method and path
    ("get", "/healthz"), ("post", "/api/v1/tenants/{tenant}/admission/check"),
    ("get", "/api/v1/tenants/{tenant}/lists"), ("get", "/api/v1/tenants/{tenant}/units"),
    ("get", "/api/v1/tenants/{tenant}/units/{code}"), ("get", "/api/v1/tenants/{tenant}/packs"),
    ("post", "/api/v1/tenants/{tenant}/packs"), ("get", "/api/v1/tenants/{tenant}/packs/{number}"),
    ("post", "/api/v1/tenants/{tenant}/packs/{number}/publish"), ("get", "/api/v1/tenants/{tenant}/packs/{number}/diff"),
    ("post", "/api/v1/tenants/{tenant}/packs/{number}/test"), ("post", "/api/v1/tenants/{tenant}/packs/{number}/impact"),
    ("post", "/api/v1/tenants/{tenant}/tasks"), ("post", "/api/v1/tenants/{tenant}/tasks/{task_id}/assignments"),
    ("patch", "/api/v1/tenants/{tenant}/assignments/{assignment_id}"), ("get", "/api/v1/tenants/{tenant}/forms/{name}"),
    ("put", "/api/v1/tenants/{tenant}/forms/{name}"), ("post", "/api/v1/tenants/{tenant}/forms/{name}/validate"),
    ("get", "/api/v1/tenants/{tenant}/decisions"), ("get", "/api/v1/tenants/{tenant}/decisions/{decision_id}/replay"),
    ("get", "/api/v1/tenants/{tenant}/standards/{name}"),
]
UNDOCUMENTED = {"/", "/docs", "/docs/assets/<path:name>", "/api/v1/openapi.json", "/static/<path:filename>"}


def test_spec_covers_every_route_and_the_contract(api):
    spec = api.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for method, path in SPEC_TABLE:
        assert method in paths.get(path, {}), (method, path)
    for rule in api.app.url_map.iter_rules():
        if rule.rule in UNDOCUMENTED:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths.get(path, {}), (method, path)


def test_schemas_come_from_marshmallow(api):
    spec = api.get("/api/v1/openapi.json").json
    check = spec["paths"]["/api/v1/tenants/{tenant}/admission/check"]["post"]
    body_ref = check["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schemas = spec["components"]["schemas"]
    request = schemas[body_ref.rsplit("/", 1)[1]]
    assert request["required"] == ["task"] and set(request["properties"]) >= {"task", "target", "on", "explain"}
    ok = check["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schemas[ok]["properties"]["decision"]["enum"] == ["admit", "conditional", "reject"]
    assert check["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert check["security"] == [{"bearer": []}]


def test_docs_use_only_local_assets(api):
    page = api.get("/docs").get_data(as_text=True)
    assert "SwaggerUIBundle" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    for asset in re.findall(r"(?:src|href)=\"(/docs/assets/[^\"]+)\"", page):
        r = api.get(asset)
        assert r.status_code == 200 and len(r.data) > 500, asset
    assert api.get("/docs/assets/index.html").status_code == 404
    assert api.get("/docs/assets/../../app.py").status_code == 404


def test_landing_page_is_zh_and_links_docs(api):
    page = api.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and 'href="/docs"' in page and "准入检查" in page


def test_healthz(api):
    assert api.get("/healthz").json == {"status": "ok"}


def test_admission_answers_match_the_documented_schema(api, units):
    """The check skips marshmallow's dump on its hot path: its real answers must still fit the schema."""
    from jiceng.platform.api.schemas import CheckResponseSchema
    bodies = [{"task": {"title": "初审", "item_code": "X01", "target_unit": units.cs_communities[0]}},
              {"task": {"title": "招商", "category": "招商引资"}, "target": {"level": "street"}, "explain": True}]
    for body in bodies:
        answer = api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"), json=body).json
        assert CheckResponseSchema().validate(answer) == {}, answer
