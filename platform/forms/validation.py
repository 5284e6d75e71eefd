"""Validate data against a form's JSON Schema, with zh-CN messages and JSON-pointer paths.

The one place the service checks data against forms (tasks on admission
checks and task creation, ``forms/<name>/validate``, the HTML form): replace
this module to change how forms are enforced. Its public functions keep
their signatures: :func:`problems`, :func:`require_valid`, :func:`check_schema`.

The validator is ``jsonschema-rs`` (a compiled Rust validator; about a
hundred times faster than the pure-Python ``jsonschema`` on our task forms,
see ``benchmarks/forms_bench.py``), compiled once per form version, form
snapshot (the ``$ref``'d forms may change) and bound param values, and kept
in a bounded cache. Every error is turned into ``{"path", "message"}`` from
the error's keyword and parameters (:mod:`.form_messages`), never from the
library's English text. ``x-compare`` runs as a custom keyword,
``x-param`` bounds are written into the compiled copy of the form, and a value
of an ``x-vocabulary`` field must resolve (as a code or an alias) in that
vocabulary of the pack in force (``unknown_vocabulary_value``, with suggestions).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Optional

import jsonschema_rs
from jsonpointer import JsonPointerException, escape, resolve_pointer, unescape

from jiceng.dsl.vocabulary import vocabularies as pack_vocabularies
from jiceng.platform.forms import vocabulary as form_vocabulary
from jiceng.platform.errors import Invalid
from jiceng.platform.forms.compare import keyword as compare_keyword
from jiceng.platform.forms.messages import message, vocabulary as vocabulary_message
from jiceng.platform.forms.model import FormReadError, closure, read_model
from jiceng.platform.forms.params import Binding, bindings, citations, materialise, resolve
from jiceng.platform.forms.store import FormSnapshot, StoredForm

MAX_ERRORS = 50
CACHE_SIZE = 256

_plans: dict[tuple, "_Plan"] = {}
_compiled: dict[tuple, "CompiledForm"] = {}
_lock = threading.Lock()


def check_schema(schema: Any, resolve_uri=None, base: str = "memory:///form.schema.json") -> list[dict]:
    """Problems that make ``schema`` unusable as a form (empty when it is a valid form):
    the 2020-12 metaschema plus our ``x-`` keywords (:mod:`.form_vocabulary`)."""
    return form_vocabulary.check_schema(schema, resolve_uri, base)


@dataclass(frozen=True)
class _Plan:
    """A form and the documents it reaches, before params are bound."""

    root_uri: str
    docs: dict[str, dict]
    bindings: tuple[Binding, ...]
    vocabularies: frozenset[str]  # the vocabulary lists its fields name (x-vocabulary)


def _plan(form: StoredForm, snapshot: FormSnapshot) -> tuple[tuple, _Plan]:
    key = (form.digest, form.tenant, form.name, snapshot.digest)
    plan = _plans.get(key)
    if plan is None:
        root = dict(form.schema)
        own = root.get("$id")
        root_uri = own.split("#")[0] if isinstance(own, str) and "://" in own else form.uri
        root["$id"] = root_uri
        docs = closure(root_uri, root, snapshot.resolve)
        named = frozenset(node["x-vocabulary"] for doc in docs.values()
                          for _path, node in form_vocabulary.subschemas(doc)
                          if isinstance(node.get("x-vocabulary"), str))
        plan = _Plan(root_uri, docs, tuple(bindings(docs)), named)
        with _lock:
            if len(_plans) >= CACHE_SIZE:
                _plans.clear()
            _plans[key] = plan
    return key, plan


def uses_params(form: StoredForm, snapshot: FormSnapshot) -> bool:
    """Whether ``form`` (or a form it refers to) binds pack params with ``x-param``."""
    return bool(_plan(form, snapshot)[1].bindings)


def needs_pack(form: StoredForm, snapshot: FormSnapshot) -> bool:
    """Whether validating ``form`` reads the pack in force: its params (``x-param``) or
    its vocabularies (``x-vocabulary``)."""
    plan = _plan(form, snapshot)[1]
    return bool(plan.bindings or plan.vocabularies)


def validator_for(form: StoredForm, snapshot: FormSnapshot, pack=None) -> "CompiledForm":
    """The compiled validator of ``form`` (params bound from ``pack`` when the form uses ``x-param``)."""
    key, plan = _plan(form, snapshot)
    fingerprint: tuple = ()
    if plan.bindings:
        if pack is None:
            raise Invalid("form_params_unavailable",
                          f"表单 {form.tenant}/{form.name} 绑定了规则包参数,但没有可用的规则包(租户没有生效的规则包)")
        params = pack.checked.params
        fingerprint = tuple((b.name, params[b.name].text if b.name in params else None) for b in plan.bindings)
    full = (key, fingerprint)
    compiled = _compiled.get(full)
    if compiled is None:
        compiled = CompiledForm(form, plan, pack)
        with _lock:
            if len(_compiled) >= CACHE_SIZE:
                _compiled.clear()
            _compiled[full] = compiled
    return compiled


class CompiledForm:
    """A form compiled for validation, with what its messages need (labels, param citations)."""

    def __init__(self, form: StoredForm, plan: _Plan, pack=None):
        self.form = form
        docs = plan.docs
        bounds = []
        if plan.bindings:
            bounds, unfit = resolve(list(plan.bindings), pack)
            if unfit:
                raise Invalid("form_params_invalid", f"表单 {form.tenant}/{form.name} 绑定的规则包参数不可用",
                              [{"path": p["pointer"], "message": p["message"]} for p in unfit])
            docs = materialise(docs, bounds)
        self.citations = citations(bounds)
        try:
            model = read_model(docs[plan.root_uri], plan.root_uri, docs.get)
        except FormReadError as e:
            raise Invalid("form_broken", f"表单 {form.tenant}/{form.name} 无法使用:{e}") from None
        self.docs = docs
        # keyed by the field's pointer (array items as *), never by its name: a grid's name
        # (网格名称) and its workers' name (姓名) are different fields
        self.labels = {pointer: f.label for pointer, f in model.walk() if f.label != f.name}
        self.declared = {pointer for pointer, _f in model.walk()}
        self.enum_labels = {pointer: f.enum_labels for pointer, f in model.walk() if f.enum_labels}
        self.vocabulary_fields = tuple((pointer, f.schema["x-vocabulary"]) for pointer, f in model.walk()
                                       if isinstance(f.schema.get("x-vocabulary"), str))
        registry = jsonschema_rs.Registry([(uri, doc) for uri, doc in docs.items() if uri != plan.root_uri])
        try:
            self.validator = jsonschema_rs.Draft202012Validator(
                docs[plan.root_uri], registry=registry, validate_formats=True, offline=True,
                keywords={"x-compare": compare_keyword(_unambiguous(model))})
        except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as e:
            raise Invalid("form_broken", f"表单 {form.tenant}/{form.name} 无法使用:{_first_line(e)}") from None

    def problems(self, data: Any, prefix: str = "", pack=None) -> list[dict]:
        """Every way ``data`` fails the form: ``[{"path", "message"}]`` sorted by path.

        With ``pack``, values of ``x-vocabulary`` fields are looked up in its vocabularies.
        """
        found = []
        try:
            if not self.validator.is_valid(data):
                for e in self.validator.iter_errors(data):
                    found += self._describe(e, prefix)
                    if len(found) >= MAX_ERRORS:
                        break
        except (OverflowError, ValueError, TypeError) as e:  # numbers beyond 64 bits and the like
            return [{"path": prefix or "", "message": f"数据无法校验:{_first_line(e)}"}]
        if self.vocabulary_fields and pack is not None:
            found += self._vocabulary_problems(data, prefix, pack)
        # one problem once: a form and the form it extends (allOf + $ref) both say "应为对象"
        unique = list({(p["path"], p["message"]): p for p in found}.values())
        unique.sort(key=lambda p: p["path"])
        return unique[:MAX_ERRORS]

    def _vocabulary_problems(self, data: Any, prefix: str, pack) -> list[dict]:
        """Text values of ``x-vocabulary`` fields that name nothing in the pack's vocabulary
        (other values are the schema's to refuse: ``type`` has reported them)."""
        known = pack_vocabularies(pack)
        found = []
        for pattern, name in self.vocabulary_fields:
            vocabulary = known.get(name)
            if vocabulary is None:
                raise Invalid("form_vocabulary_unavailable",
                              f"表单 {self.form.tenant}/{self.form.name} 的字段 {pattern} 使用词表 {name},"
                              f"但规则包 {pack.tenant} 中没有这个词表")
            for path, value in _values_at(data, pattern):
                if isinstance(value, str) and vocabulary.resolve(value) is None:
                    suggestions = vocabulary.suggest(value)
                    found.append({"path": prefix + path, "code": "unknown_vocabulary_value",
                                  "message": vocabulary_message(value, name, _meanings(vocabulary, suggestions)),
                                  "suggestions": suggestions})
        return found

    def _describe(self, e, prefix: str) -> list[dict]:
        path = prefix + "".join("/" + escape(str(p)) for p in e.instance_path)
        kind = e.kind.name
        params = e.kind.as_dict() if kind not in ("anyOf", "oneOf") else {}
        if kind == "x-compare":
            found = json.loads(params["message"])
            return [{"path": path + found["path"], "message": found["message"]}]
        field_pattern = "".join("/*" if isinstance(p, int) else "/" + escape(str(p)) for p in e.instance_path)
        if kind == "required":
            name = params["property"]
            label = self.labels.get(f"{field_pattern}/{escape(name)}")
            return [{"path": f"{path}/{escape(name)}",
                     "message": message("required", name) + (f"({label})" if label else "")}]
        if kind in ("additionalProperties", "unevaluatedProperties"):
            out = [{"path": f"{path}/{escape(n)}", "message": message(kind, n)} for n in params["unexpected"]]
            if kind == "unevaluatedProperties":  # a declared field inside a failing branch is not "extra"
                out = [p for p in out if _pattern(p["path"][len(prefix):]) not in self.declared]
            return out
        last = e.schema_path[-1] if e.schema_path and isinstance(e.schema_path[-1], str) else kind
        keyword = last if kind == "contains" else kind
        value = _value_of(params)
        node = _node_of(e.absolute_keyword_location)
        bound = self.citations.get(node)
        hint = None
        if keyword == "pattern":
            schema = self._schema_at(node)
            hint = schema.get("x-pattern-hint") if isinstance(schema, dict) else None
        return [{"path": path, "message": message(keyword, value, e.instance, bound=bound,
                                                  enum_labels=self.enum_labels.get(field_pattern),
                                                  label=self.labels.get(field_pattern), hint=hint)}]

    def _schema_at(self, node: tuple[str, str]) -> Any:
        """The schema node at ``(document uri, pointer)`` of the compiled form's documents."""
        uri, pointer = node
        try:
            return resolve_pointer(self.docs.get(uri), pointer) if uri in self.docs else None
        except JsonPointerException:
            return None


def _unambiguous(model) -> dict[str, str]:
    """Labels by property name for ``x-compare``'s messages (its keyword sees an object, not where
    the object is): only names every field of that name labels alike."""
    seen: dict[str, set[str]] = {}
    for _pointer, f in model.walk():
        if f.label != f.name:
            seen.setdefault(f.name, set()).add(f.label)
    return {name: labels.pop() for name, labels in seen.items() if len(labels) == 1}


def _meanings(vocabulary, spellings: list[str]) -> list[tuple[str, Optional[str]]]:
    """What each suggested spelling means: an alias its code (即 行政执法), a code its label
    when the label says more (assessment: 考核评比)."""
    labels = vocabulary.labels()
    out = []
    for spelling in spellings:
        code = vocabulary.resolve(spelling)
        meaning = f"即 {code}" if code != spelling else labels.get(code)
        out.append((spelling, meaning if meaning != spelling else None))
    return out


def _values_at(data: Any, pattern: str) -> list[tuple[str, Any]]:
    """``(JSON pointer, value)`` of every place in ``data`` that ``pattern`` (a form model
    pointer, array items as ``*``) reaches."""
    places = [("", data)]
    for part in pattern.split("/")[1:]:
        reached = []
        for path, node in places:
            if part == "*" and isinstance(node, list):
                reached += [(f"{path}/{i}", item) for i, item in enumerate(node)]
            elif isinstance(node, dict) and unescape(part) in node:
                reached.append((f"{path}/{part}", node[unescape(part)]))
        places = reached
    return places


def _pattern(pointer: str) -> str:
    """A data pointer as the form model writes it: array indexes become ``*``."""
    return "/".join("*" if part.isdigit() else part for part in pointer.split("/"))


def _value_of(params: dict) -> Any:
    for key in ("types", "options", "expected_value", "limit", "pattern", "format", "multiple_of"):
        if key in params:
            return params[key]
    return None


def _node_of(location: Optional[str]) -> tuple[str, str]:
    """``(document uri, pointer of the schema node)`` of a keyword's absolute location."""
    if not location:
        return ("", "")
    uri, _, pointer = location.partition("#")
    return (uri, pointer.rsplit("/", 1)[0])


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:300]


def problems(form: StoredForm, snapshot: FormSnapshot, data: Any, prefix: str = "", *, pack=None) -> list[dict]:
    """Every way ``data`` fails ``form``: ``[{"path": JSON pointer, "message": zh-CN}]``.

    ``pack`` (the compiled pack in force for the tenant) supplies the params a
    form binds with ``x-param`` and the vocabularies its ``x-vocabulary`` fields
    name; without it those values are not checked (:func:`needs_pack` tells).
    A value outside its vocabulary is ``{"path", "message", "code":
    "unknown_vocabulary_value", "suggestions"}``; aliases are accepted as they are.
    """
    return validator_for(form, snapshot, pack).problems(data, prefix, pack)


def require_valid(form: StoredForm, snapshot: FormSnapshot, data: Any, prefix: str = "", *, pack=None) -> None:
    """Raise :class:`Invalid` (``form_invalid``) listing every problem."""
    found = problems(form, snapshot, data, prefix, pack=pack)
    if found:
        raise Invalid("form_invalid", f"数据不符合表单 {form.name}(共 {len(found)} 处问题)", found)
