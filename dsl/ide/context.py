"""Where the text in an editor belongs, and the one check that `jiceng lint`, the web editor and
`jiceng lsp` all run.

An editor holds one file of a pack, perhaps unsaved. :class:`EditorContext` says which pack
(tenant), which file of it, where the pack's other files and its ancestors come from (a folder
tree on disk, or the versions in force in the service's database), the task forms and the tenant
registry. :func:`check` puts the edited text in place of its file and checks the pack with its
ancestors through :func:`jiceng.dsl.api.check_pack` — the parser, resolver, checker and compiler
that compile a pack everywhere else — so an editor can never disagree with `jiceng lint` or
with a draft upload.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from ..api import Forms, check_pack
from ..citations import verify_pack
from ..diagnostics import Diagnostic, sort_key
from ..functions import Registry
from ..loader import EXTENSION, FileLoader, Loader, PackSource, ParentOf, SourceFile, tenant_registry
from ..pack import Pack

#: the pack header that names a tenant: ``pack changsha ...``
HEADER = re.compile(r"^\s*pack\s+([^\W\d]\w*)", re.MULTILINE)
DEFAULT_FILE = "pack.jc"


@dataclass(frozen=True)
class EditorContext:
    """What the text in an editor is checked with.

    ``tenant``: the pack the text belongs to (None: the one its ``pack`` header names, else the
    file's stem); ``file``: its name inside the pack (``rules.jc``, ``tests/rules.jc``);
    ``loader``: the pack's other files and its ancestors (None: the text alone, ``extends``
    unresolvable); ``forms``, ``parent_of`` and ``registry`` as for :func:`~jiceng.dsl.api.check_pack`.
    """

    tenant: Optional[str] = None
    file: str = DEFAULT_FILE
    loader: Optional[Loader] = field(default=None, compare=False)
    forms: Forms = field(default=None, compare=False)
    parent_of: Optional[ParentOf] = field(default=None, compare=False)
    registry: Optional[Registry] = field(default=None, compare=False)
    #: packs on disk: their folder (``rule_packs``), where quotes are proved against the documents
    #: (:func:`~jiceng.dsl.citations.verify_pack`); None for packs held elsewhere (the service)
    root: Optional[Path] = field(default=None, compare=False)
    #: the ``--documents`` folder, before the pack's and tenant's own and the repository's
    documents: Optional[Path] = field(default=None, compare=False)

    @classmethod
    def for_pack(cls, root: Path | str, tenant: str, file: str = DEFAULT_FILE) -> "EditorContext":
        """The pack ``<root>/<tenant>/`` on disk, with the ``form_schemas/`` beside ``root`` or above
        it and ``tenants/`` beside it (as `jiceng lint` and ``load_pack`` find them)."""
        root = Path(root)
        return cls(tenant, file, FileLoader(root), forms_near(root), tenant_registry(root.parent / "tenants"),
                   root=root)

    @classmethod
    def for_path(cls, path: Path | str, text: Optional[str] = None) -> "EditorContext":
        """The context of a ``.jc`` file on disk (``text``: what the editor holds, which may differ
        from the disk or not be saved yet). Its pack is the nearest folder, from the file's own
        upwards, with a file declaring ``pack`` (the text's own header counts for its folder);
        without one, the file is a pack of its own, read alone."""
        path = Path(path).resolve()
        if text is None:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
        folder = path.parent
        while True:
            if (folder == path.parent and HEADER.search(text)) or _declares_pack(folder, skip=path):
                return cls.for_pack(folder.parent, folder.name, path.relative_to(folder).as_posix())
            if folder.parent == folder:  # a pack of its own: extends names single-file packs beside it
                return cls(None, path.name, FileLoader(path.parent))
            folder = folder.parent

    def with_tenant(self, text: str) -> "EditorContext":
        """This context with its tenant settled: given, else the text's ``pack`` header, else the file's stem."""
        if self.tenant is not None:
            return self
        m = HEADER.search(text)
        return replace(self, tenant=m.group(1) if m else Path(self.file).stem or "pack")


def forms_near(root: Path) -> Optional[Path]:
    """The ``form_schemas/`` beside the packs' folder or above it (a copy of the packs elsewhere
    finds none: then the canonical task form of SPEC §5 is used)."""
    for folder in Path(root).resolve().parents:
        if (folder / "form_schemas").is_dir():
            return folder / "form_schemas"
    return None


def _declares_pack(folder: Path, skip: Path) -> bool:
    """Whether a ``.jc`` file directly in ``folder``, other than ``skip``, declares a pack."""
    for p in sorted(folder.glob(f"*{EXTENSION}")):
        if p == skip:
            continue
        try:
            if HEADER.search(p.read_text(encoding="utf-8")):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False


class Overlay:
    """A loader answering ``tenant``'s pack with ``name`` holding ``text`` (replacing or adding
    that file), everything else from ``base``."""

    def __init__(self, base: Optional[Loader], tenant: str, name: str, text: str):
        self.base, self.tenant, self.name, self.text = base, tenant, name, text

    def load(self, tenant: str) -> Optional[PackSource]:
        found = self.base.load(tenant) if self.base is not None else None
        if tenant != self.tenant:
            return found
        files = [f for f in found.files if f.name != self.name] if found else []
        same = next((f for f in found.files if f.name == self.name), None) if found else None
        folder = found.folder if found else tenant
        path = same.path if same else f"{folder}/{self.name}"
        files.append(SourceFile(self.name, path, self.text))
        return PackSource(tenant, tuple(sorted(files, key=lambda f: f.name)), folder)

    def path(self) -> str:
        """The path the edited file's diagnostics carry (``span.file``)."""
        return next(f.path for f in self.load(self.tenant).files if f.name == self.name)


@dataclass
class PackCheck:
    """The outcome of :func:`check`: every diagnostic (errors and warnings, sorted), the sources
    for rendering them, the compiled pack when there are no errors, and the path that names the
    edited file in the diagnostics (None when nothing was edited)."""

    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    pack: Optional[Pack]
    path: Optional[str] = None


def check(context: EditorContext, text: Optional[str] = None) -> PackCheck:
    """Check the context's pack, with ``text`` as its file when given (an editor's buffer), else
    as its loader has it (`jiceng lint`). Raises :class:`~jiceng.dsl.resolver.PackNotFound`
    only when no text is given and the loader has no such pack."""
    loader: Optional[Loader] = context.loader
    path = None
    if text is not None:
        context = context.with_tenant(text)
        overlay = Overlay(context.loader, context.tenant, context.file, text)
        loader, path = overlay, overlay.path()
    pack, diags, sources = check_pack(context.tenant, loader, forms=context.forms, registry=context.registry,
                                      parent_of=context.parent_of)
    if pack is not None and context.root is not None:
        diags = [*diags, *verify_pack(pack, context.root, context.documents)]
    return PackCheck(sorted(diags, key=sort_key), sources, pack, path)
