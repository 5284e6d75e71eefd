"""The form designer's live preview: an unsaved schema rendered as the form page would render it,
and sample data checked against it — without storing anything.

The schema is put in place of the tenant's form in a trial copy of the forms (as
:func:`..forms.impact.check_form_change` does), so ``$ref`` to the ancestors' forms resolve and the
pack's params and vocabularies apply exactly as they will once saved.
"""
from __future__ import annotations

import hashlib
import json
from flask import render_template

from jiceng.platform.decisions.chain import canonical
from jiceng.platform.errors import ServiceError
from jiceng.platform.forms import editing as form_admin
from jiceng.platform.forms import impact as form_impact
from jiceng.platform.forms import render as form_render
from jiceng.platform.forms import store, validation
from jiceng.platform.forms.model import FormReadError, read_model
from jiceng.platform.runtime import Runtime

#: the most text the preview reads of a schema or of sample data
MAX_TEXT = 256 * 1024


def _json(text: str, what: str) -> tuple[object, list[dict]]:
    if len(text) > MAX_TEXT:
        return None, [{"path": "", "message": f"{what}超过 {MAX_TEXT // 1024} KiB"}]
    try:
        return json.loads(text), []
    except ValueError as e:
        return None, [{"path": "", "message": f"{what}不是有效的 JSON:第 {getattr(e, 'lineno', '?')} 行第 {getattr(e, 'colno', '?')} 列"}]


def preview(rt: Runtime, tenant: str, name: str, schema_text: str, sample_text: str) -> dict:
    """``{html, schema_errors, data_errors}``: the rendered fields of the unsaved schema and the
    problems of the schema itself and of the sample data (``[{path, message}]``)."""
    store.check_name(name)
    schema, schema_errors = _json(schema_text, "表单")
    sample, data_errors = _json(sample_text or "{}", "样例数据")
    if schema_errors:
        return {"html": "", "schema_errors": schema_errors, "data_errors": []}
    with rt.db.read() as session:
        current = rt.forms(session)
        forms = dict(current.forms)
        uri = store.form_uri(tenant, name)
        schema_errors = validation.check_schema(schema, current.resolve, uri)
        if schema_errors:
            return {"html": "", "schema_errors": schema_errors, "data_errors": []}
        digest = hashlib.sha256(canonical(schema).encode("utf-8")).hexdigest()
        trial_form = store.StoredForm(None, tenant, name, 0, schema)
        forms[(tenant, name)] = trial_form
        trial = store.FormSnapshot(f"preview:{tenant}:{name}:{current.key}:{digest}", forms)
        try:
            model = read_model(schema, uri, trial.resolve)
        except FormReadError as e:
            return {"html": "", "schema_errors": [{"path": "", "message": str(e)}], "data_errors": []}
        if not data_errors:
            try:
                pack = form_admin.validation_pack(session, rt, tenant, trial_form, trial)
            except ServiceError as e:
                data_errors = [{"path": "", "message": e.message}]
            else:
                data_errors = validation.problems(trial_form, trial, sample, pack=pack)
    nodes = form_render.inputs(model, sample if isinstance(sample, dict) else {})
    form_render.place_errors(nodes, data_errors)
    html = render_template("console_form_preview.html", model=model, inputs=nodes)
    return {"html": html, "schema_errors": [], "data_errors": data_errors}


def breaks(rt: Runtime, tenant: str, name: str, schema) -> list[dict]:
    """What storing ``schema`` as a new version would break (the rules and bindings named), empty
    when nothing: the very check a save runs, read-only."""
    with rt.db.read() as session:
        try:
            form_impact.check_form_change(session, rt, tenant, name, schema)
        except ServiceError as e:
            return [d if isinstance(d, dict) else {"message": str(d)} for d in (e.details or [{"message": e.message}])]
    return []
