"""Where pack sources come from: a folder tree or memory; and who each tenant's parent is.

A pack is every ``*.jc`` file under ``<root>/<tenant>/`` (sub-folders
included, e.g. ``tests/``), or the single file ``<root>/<tenant>.jc``. The
service stores pack versions in its database and hands them over through
:class:`MemoryLoader`; the compiler never cares which.

A pack's parent is not its own choice (SPEC §4.4): the tenant registry names
it. The service passes its registry to the resolver; on disk the registry is
``tenants/<code>.toml`` (:class:`TenantFiles`), read by the language alone so
that `jiceng lint` and `jiceng test` hold packs to the same chain as the service.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional, Protocol

EXTENSION = ".jc"


@dataclass(frozen=True)
class SourceFile:
    name: str  # relative to the pack folder: what the digest covers
    path: str  # shown in diagnostics, relative to the working directory when possible
    text: str


@dataclass(frozen=True)
class PackSource:
    tenant: str
    files: tuple[SourceFile, ...]
    folder: str = ""  # where the pack lives, for messages


class Loader(Protocol):
    def load(self, tenant: str) -> Optional[PackSource]:
        """The sources of ``tenant``'s pack, or None when there is none."""


class ReadError(Exception):
    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


class FileLoader:
    """Packs under ``root`` (``rule_packs/`` by default)."""

    def __init__(self, root: Path | str = "rule_packs"):
        self.root = Path(root)

    def _display(self, p: Path) -> str:
        try:
            return str(p.relative_to(Path.cwd()))
        except ValueError:
            return str(p)

    def files_of(self, tenant: str) -> list[Path]:
        folder = self.root / tenant
        if folder.is_dir():
            return sorted(p for p in folder.rglob(f"*{EXTENSION}") if p.is_file())
        single = self.root / f"{tenant}{EXTENSION}"
        return [single] if single.is_file() else []

    def load(self, tenant: str) -> Optional[PackSource]:
        if not tenant or "/" in tenant or "\\" in tenant or tenant.startswith("."):
            return None
        paths = self.files_of(tenant)
        if not paths:
            return None
        files = []
        base = self.root / tenant if (self.root / tenant).is_dir() else self.root
        for p in paths:
            try:
                files.append(SourceFile(p.relative_to(base).as_posix(), self._display(p.resolve()),
                                        p.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as e:
                raise ReadError(self._display(p), str(e)) from e
        return PackSource(tenant, tuple(files), self._display((self.root / tenant).resolve()))

    def tenants(self) -> list[str]:
        """Every pack under the root."""
        if not self.root.is_dir():
            return []
        out = {p.name for p in self.root.iterdir() if p.is_dir() and any(p.rglob(f"*{EXTENSION}"))}
        out |= {p.stem for p in self.root.glob(f"*{EXTENSION}")}
        return sorted(out)


class MemoryLoader:
    """Packs held in memory: ``{tenant: {file name: text}}``."""

    def __init__(self, packs: Mapping[str, Mapping[str, str]], fallback: Optional[Loader] = None):
        self.packs = packs
        self.fallback = fallback

    def load(self, tenant: str) -> Optional[PackSource]:
        files = self.packs.get(tenant)
        if files is None:
            return self.fallback.load(tenant) if self.fallback else None
        return PackSource(tenant, tuple(SourceFile(name, f"{tenant}/{name}", text)
                                        for name, text in sorted(files.items())), tenant)


#: the tenant registry as the resolver asks it: a tenant's parent, None for the root;
#: raises LookupError for a tenant the registry does not know
ParentOf = Callable[[str], Optional[str]]


class TenantFiles:
    """The registry of ``tenants/<code>.toml`` files (``code`` and ``parent`` keys), read on first use.

    Only what the chain needs is read here; the platform reads and checks the rest of
    these files (names, levels, units) when `jiceng init` loads them.
    """

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self._parents: Optional[dict[str, Optional[str]]] = None

    def __call__(self, tenant: str) -> Optional[str]:
        if self._parents is None:
            self._parents = self._read()
        return self._parents[tenant]  # KeyError is a LookupError: a tenant not registered

    def _read(self) -> dict[str, Optional[str]]:
        parents: dict[str, Optional[str]] = {}
        for path in sorted(self.folder.glob("*.toml")):
            try:
                doc = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                raise ReadError(str(path), f"租户文件 {path.name} 无法读取:{e}") from e
            parent = doc.get("parent")
            if not isinstance(parent, (str, type(None))):
                raise ReadError(str(path), f"租户文件 {path.name} 的 parent 应为字符串")
            parents[str(doc.get("code", path.stem))] = parent or None
        return parents


def tenant_registry(folder: Path | str) -> Optional[TenantFiles]:
    """The registry in ``folder`` (e.g. ``tenants/`` beside ``rule_packs/``), None when it has no tenant files."""
    folder = Path(folder)
    return TenantFiles(folder) if folder.is_dir() and any(folder.glob("*.toml")) else None
