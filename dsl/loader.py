"""Where pack sources come from: a folder tree or memory.

A pack is every ``*.jc`` file under ``<root>/<tenant>/`` (sub-folders
included, e.g. ``tests/``), or the single file ``<root>/<tenant>.jc``. The
service stores pack versions in its database and hands them over through
:class:`MemoryLoader`; the compiler never cares which.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Protocol

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
