"""The pipeline in one place: load → parse → resolve → check → compile → Pack.

``load_pack`` is the contract entry point (``from jiceng.dsl import
load_pack``); ``compile_pack`` does the same from any :class:`~.loader.Loader`
(the service compiles drafts from memory) and ``check_pack`` returns
diagnostics instead of raising, for ``jiceng lint`` and editors.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Mapping, Optional, Protocol, Union

from . import nodes as n
from .checker import Checker
from .collector import collector_paused
from .compiler import compile_checked
from .diagnostics import CompileError, Diagnostic, make
from .functions import Registry, default_registry
from .loader import FileLoader, Loader, ParentOf, tenant_registry
from .pack import Pack
from .resolver import PackNotFound, link, load_chain
from .taskform import FileForms, FormError, TaskForm, canonical_task_form, read_task_form
from .vocabulary import bind_task_form

#: bumped whenever the meaning of a pack could change: part of every digest
#: (2: a missing fact is unknown, not false — the same pack text decides differently)
LANGUAGE_VERSION = "2"

_CACHE_SIZE = 64
_cache: "OrderedDict[tuple, Pack]" = OrderedDict()
_cache_lock = threading.Lock()

class FormSource(Protocol):
    """Where task forms come from: a folder (:class:`FileForms`) or anything
    else that answers the nearest tenant's task form (the service's database)."""

    def task_form(self, chain: list[str], units) -> Optional[TaskForm]:
        """The task form of the first tenant of ``chain`` (leaf first) that has one."""


Forms = Union[str, Path, FormSource, None]


def load_pack(tenant: str, root: Union[str, Path] = "rule_packs", *, forms: Forms = None,
              task_form: Optional[Union[TaskForm, Mapping]] = None,
              registry: Optional[Registry] = None, parent_of: Optional[ParentOf] = None) -> Pack:
    """The tenant's pack with its ancestors, checked and compiled.

    ``root`` holds one folder per tenant; task forms are read from ``forms``
    (default: ``form_schemas/`` beside ``root``), the nearest tenant's
    ``task.schema.json`` along the chain, else the canonical task of SPEC §5.
    The chain is the tenant registry's, ``parent_of`` (default: the
    ``tenants/*.toml`` files beside ``root``, when there are any).
    Raises :class:`CompileError` with every diagnostic if the pack is wrong,
    :class:`PackNotFound` if the tenant has no pack.
    """
    root = Path(root)
    if forms is None:
        guess = root.parent / "form_schemas"
        forms = guess if guess.is_dir() else None
    if parent_of is None:
        parent_of = tenant_registry(root.parent / "tenants")
    return compile_pack(tenant, FileLoader(root), forms=forms, task_form=task_form, registry=registry,
                        parent_of=parent_of)


def compile_pack(tenant: str, loader: Loader, *, forms: Forms = None,
                 task_form: Optional[Union[TaskForm, Mapping]] = None,
                 registry: Optional[Registry] = None, parent_of: Optional[ParentOf] = None) -> Pack:
    """Like :func:`load_pack`, from any loader; ``parent_of`` is the tenant registry
    the chain must follow (none: ``extends`` as written)."""
    pack, diags, sources = _build(tenant, loader, forms, task_form, registry, parent_of)
    if pack is None:
        raise CompileError(diags, sources)
    return pack


def check_pack(tenant: str, loader: Loader, *, forms: Forms = None,
               task_form: Optional[Union[TaskForm, Mapping]] = None,
               registry: Optional[Registry] = None, parent_of: Optional[ParentOf] = None
               ) -> tuple[Optional[Pack], list[Diagnostic], dict]:
    """(pack or None, every diagnostic including warnings, sources for rendering)."""
    pack, diags, sources = _build(tenant, loader, forms, task_form, registry, parent_of)
    if pack is not None:
        diags = list(pack.warnings)
    return pack, diags, sources


def digest_of(units) -> str:
    h = hashlib.sha256()
    h.update(f"jiceng-language:{LANGUAGE_VERSION}\n".encode())
    for u in units:
        h.update(f"pack:{u.tenant}\n".encode())
        for f in sorted(u.source.files, key=lambda f: f.name):
            data = f.text.encode("utf-8", "surrogatepass")
            h.update(f"file:{f.name}:{len(data)}\n".encode())
            h.update(data)
    return h.hexdigest()


def resolve_task_form(chain: list[str], forms: Forms, task_form, registry: Registry) -> TaskForm:
    """The task form a pack of ``chain`` (root first) is checked against: ``task_form`` when
    given, else the nearest tenant's form in ``forms``, else the canonical task of SPEC §5.
    Raises :class:`FormError` for a form that cannot be read."""
    if isinstance(task_form, TaskForm):
        return task_form
    if task_form is not None:
        return read_task_form(dict(task_form), registry.units, origin="<given>")
    if forms is not None:
        store = FileForms(forms) if isinstance(forms, (str, Path)) else forms
        found = store.task_form(list(reversed(chain)), registry.units)
        if found is not None:
            return found
    return canonical_task_form(registry.units)


def _form_key(form: TaskForm) -> str:
    fields = sorted((k, repr(v)) for k, v in form.record.fields.items())
    bound = sorted(form.vocabularies.items())
    defaults = sorted((k, repr(v)) for k, v in form.defaults.items())  # a default changes what absence means
    return hashlib.sha256(json.dumps([fields, sorted(form.required), bound, defaults]).encode()).hexdigest()


def _build(tenant, loader, forms, task_form, registry, parent_of):
    with collector_paused():  # a large pack's syntax tree would be scanned again on every pass
        return _build_chain(tenant, loader, forms, task_form, registry, parent_of)


def _build_chain(tenant, loader, forms, task_form, registry, parent_of):
    registry = registry or default_registry()
    units, diags = load_chain(tenant, loader, parent_of)
    sources = {f.path: f.text for u in units for f in u.source.files}
    if any(d.is_error for d in diags):
        return None, diags, sources
    try:
        form = resolve_task_form([u.tenant for u in units], forms, task_form, registry)
    except FormError as e:
        span = units[-1].header.span if units[-1].header else n.NOWHERE
        return None, [make("E211", span, problem=f"任务表单无法读取:{e}")], sources
    digest = digest_of(units)
    key = (digest, _form_key(form), id(registry))
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached, [], sources
    linked, link_diags = link(units)
    diags += link_diags
    form, form_diags = bind_task_form(form, linked.lists)
    diags += form_diags
    checker = Checker(linked, form, registry)
    checked = checker.run()
    diags += checker.diags
    if any(d.is_error for d in diags):
        return None, diags + checked.warnings, sources
    compiled = compile_checked(checked, _span_text(sources))
    pack = Pack(checked, compiled, digest, sources)
    with _cache_lock:
        _cache[key] = pack
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return pack, [], sources


def _span_text(sources: Mapping[str, str]):
    """span -> the exact source text it covers (explain labels values with it)."""
    lines_cache: dict[str, list[str]] = {}

    def text(span: n.Span) -> str:
        lines = lines_cache.get(span.file)
        if lines is None:
            lines = lines_cache[span.file] = sources.get(span.file, "").split("\n")
        if span.line < 1 or span.line > len(lines):
            return "?"
        if span.line == span.end_line:
            return lines[span.line - 1][span.column - 1: span.end_column - 1]
        parts = [lines[span.line - 1][span.column - 1:]]
        parts += lines[span.line: span.end_line - 1]
        parts.append(lines[span.end_line - 1][: span.end_column - 1])
        return " ".join(p.strip() for p in parts)
    return text


__all__ = ["load_pack", "compile_pack", "check_pack", "CompileError", "PackNotFound", "Pack",
           "LANGUAGE_VERSION"]
