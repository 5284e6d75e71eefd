"""``x-param``: constraints of a form bound to a param of the tenant's pack.

A field ``{"type": "integer", "x-unit": "户", "x-param": "网格户数"}`` takes
its ``minimum``/``maximum`` from the range param 网格户数 of the pack in force
for the tenant the data is validated for: a city whose pack narrows the range
gets the narrower check without editing the form. A number param binds one
bound: ``{"x-param": {"name": "新招录年龄上限", "as": "maximum"}}``; a
dimensionless param can be the ``factor`` of an ``x-compare`` check
(``{"factor": {"x-param": "业委会党员比例下限"}}``).

:func:`resolve` checks every binding against a compiled pack (the param
exists, its kind fits, its unit is the field's ``x-unit``) and yields the
keywords to set; :func:`materialise` writes them into copies of the documents
the validator compiles. Forms are checked this way when they are stored and
when a pack is published, so nothing is found missing while validating.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Optional

from jsonpointer import resolve_pointer

from jiceng.dsl.diagnostics import did_you_mean
from jiceng.dsl.functions import default_registry
from jiceng.dsl.types import Num, RangeOf
from jiceng.dsl.units import dims_of, format_dims

from jiceng.platform.forms.vocabulary import BOUND_KEYWORDS, subschemas


@dataclass(frozen=True)
class Binding:
    """One ``x-param`` in a form document."""

    uri: str            # the document
    pointer: str        # the node carrying it (a field schema, or an x-compare entry)
    name: str           # the param
    use: Optional[str]  # range | minimum | maximum | exclusiveMinimum | exclusiveMaximum | factor; None: by the param
    unit: Optional[str]  # the field's x-unit

    @property
    def where(self) -> str:
        return f"{self.uri}#{self.pointer}"


@dataclass(frozen=True)
class Bound:
    """A binding resolved against a pack: the keywords it sets and how messages cite it."""

    binding: Binding
    keywords: dict
    citation: str  # 依据规则包 hunan 的参数 网格户数 = 300..500 户


def bindings(docs: dict[str, dict]) -> list[Binding]:
    """Every ``x-param`` in ``docs`` (``{uri: document}``)."""
    out = []
    for uri, doc in docs.items():
        for path, node in subschemas(doc):
            spec = node.get("x-param")
            if isinstance(spec, str):
                out.append(Binding(uri, path, spec, None, node.get("x-unit")))
            elif isinstance(spec, dict) and isinstance(spec.get("name"), str):
                out.append(Binding(uri, path, spec["name"], spec.get("as"), node.get("x-unit")))
            checks = node.get("x-compare")
            for i, check in enumerate(checks if isinstance(checks, list) else []):
                factor = check.get("factor") if isinstance(check, dict) else None
                if isinstance(factor, dict) and isinstance(factor.get("x-param"), str):
                    out.append(Binding(uri, f"{path}/x-compare/{i}", factor["x-param"], "factor", None))
    return out


def resolve(found: list[Binding], pack) -> tuple[list[Bound], list[dict]]:
    """(bounds, problems) of ``found`` against ``pack`` (a compiled :class:`~jiceng.dsl.pack.Pack`).

    Problems are ``{"uri", "pointer", "param", "message"}``, zh-CN.
    """
    bounds, problems = [], []
    for b in found:
        try:
            bounds.append(_bound(b, pack))
        except _Unfit as e:
            problems.append({"uri": b.uri, "pointer": b.pointer, "param": b.name, "message": str(e)})
    return bounds, problems


class _Unfit(Exception):
    pass


def _bound(b: Binding, pack) -> Bound:
    info = pack.checked.params.get(b.name)
    if info is None:
        hint = did_you_mean(b.name, pack.checked.params)
        raise _Unfit(f"规则包 {pack.tenant} 中没有参数 {b.name}" + (f";{hint}" if hint else ""))
    citation = f"依据规则包 {info.pack} 的参数 {b.name} = {info.text}"
    value = pack.param_value(b.name)
    kind = info.type
    if b.use == "factor":
        if not isinstance(kind, Num) or kind.dims:
            raise _Unfit(f"参数 {b.name} 是{kind.label},x-compare 的 factor 只能绑定不带单位的数字或百分比")
        return Bound(b, {"factor": value}, citation)
    use = b.use or ("range" if isinstance(kind, RangeOf) else None)
    if use is None:
        raise _Unfit(f"参数 {b.name} 是{kind.label}:请用 {{\"name\": \"{b.name}\", \"as\": \"maximum\"}} "
                     f"写明它约束哪一端(minimum、maximum、exclusiveMinimum、exclusiveMaximum)")
    if use == "range" and not isinstance(kind, RangeOf):
        raise _Unfit(f"参数 {b.name} 是{kind.label},不是范围,不能用 as: range")
    if use in BOUND_KEYWORDS and not isinstance(kind, Num):
        raise _Unfit(f"参数 {b.name} 是{kind.label},只有数字或数量能用作 {use}")
    scale = _scale(b, kind.num if isinstance(kind, RangeOf) else kind)
    if use == "range":
        low, high = value
        return Bound(b, {"minimum": _number(low / scale), "maximum": _number(high / scale)}, citation)
    return Bound(b, {use: _number(value / scale)}, citation)


def _scale(b: Binding, kind: Num):
    """How many of the param's base units one unit of the field is (its x-unit)."""
    if not kind.dims:
        return 1  # a plain number binds to a field of any unit (35 → 岁)
    unit = default_registry().units.get(b.unit) if b.unit else None
    if unit is None or dims_of(unit) != kind.dims:
        want = format_dims(kind.dims)
        raise _Unfit(f"参数 {b.name} 的单位是 {want},字段应写 \"x-unit\": \"{want}\""
                     + (f"(现在是 {b.unit})" if b.unit else ""))
    return unit.factor


def _number(x):
    x = float(x)
    return int(x) if x.is_integer() else x


def materialise(docs: dict[str, dict], bounds: list[Bound]) -> dict[str, dict]:
    """Copies of ``docs`` with each bound's keywords written where its ``x-param`` is."""
    if not bounds:
        return docs
    out = dict(docs)
    copied: set[str] = set()
    for bound in bounds:
        uri = bound.binding.uri
        if uri not in copied:
            out[uri] = copy.deepcopy(docs[uri])
            copied.add(uri)
        node = resolve_pointer(out[uri], bound.binding.pointer)  # found by bindings(): it is there
        if bound.binding.use == "factor":
            node["factor"] = bound.keywords["factor"]
            node["factor_citation"] = bound.citation
        else:
            node.update(bound.keywords)
    return out


def citations(bounds: list[Bound]) -> dict[tuple[str, str], str]:
    """``{(uri, pointer of the bound node): citation}`` for messages of failing bounds."""
    return {(b.binding.uri, b.binding.pointer): b.citation for b in bounds if b.binding.use != "factor"}

