"""Citations proved against the documents they cite (``jiceng lint``).

A ``cite S002 "四(四)" quote "不得将……"`` is checked by finding the quote in the
file of source ``S002``, looked up in a documents folder. Both texts are
normalised first, so that only the words count:

* traditional characters become simplified (OpenCC ``t2s``);
* full-width letters, digits and punctuation become their usual forms (NFKC);
* pinyin the seed pages carry after characters (``國(guó)``) is dropped;
* punctuation and whitespace are ignored altogether (``,`` = ``,``, line breaks
  inside a sentence do not matter);
* ``……``, ``…`` or ``...`` in a quote stands for omitted words: the parts must
  appear in order, each within :data:`MAX_GAP` characters of the previous one;
* the broken characters of the seed files — runs of mojibake such as
  ``?。ㄒ唬┲笇`` (a page's GBK bytes read one byte off), U+FFFD, private-use and
  box-drawing characters — match the few characters they replace: a quote is
  found where it differs from the document only inside such a run.

A quote not found is E501, with the closest passage of the document as a hint.
Documents are ``.txt`` (UTF-8) or ``.json`` (every string value, in order).
"""
from __future__ import annotations

import difflib
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Optional

from . import nodes as n
from .diagnostics import Diagnostic, make

MAX_GAP = 400          # significant characters an ellipsis may stand for
MAX_DOCUMENT_BYTES = 8 << 20
MAX_QUOTE = 2000       # characters; a longer quote is not a sentence
MARK = "\x00"          # a broken character, in the normalised text

#: wording that makes a sentence less than an absolute ban (docs/tenants.md has the convention)
HEDGES = ("原则上", "一般", "鼓励", "清理规范", "规范清理", "严格控制", "可以", "可")
#: words in which 可 is not a hedge (不可 is a ban; 可能, 许可 … say something else)
_NOT_HEDGE_KE = re.compile(r"不可|可能|许可|认可|可靠|可行|可持续|可及|可视|宁可|可见|可信")

_PINYIN = re.compile(r"[((][ \t]*[a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ\ufffd]{1,8}[ \t]*[))]")
_ELLIPSIS = re.compile(r"…+|\.{3,}|⋯+")
_BROKEN_CHAR = re.compile(r"[?\ufffd\ue000-\uf8ff\u2500-\u257f\u3100-\u312f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BROKEN_REACH = 6  # characters between two broken ones are broken too (the rest of a mojibake run)


# ------------------------------------------------------------------ normalising
@lru_cache(maxsize=1)
def _converter():
    import opencc  # a C++ library: imported only when quotes are checked
    return opencc.OpenCC("t2s")


def clean(text: str) -> str:
    """``text`` with pinyin dropped, NFKC forms and simplified characters (punctuation kept). A
    lone surrogate (a file's undecodable byte, a ``\\udcXX`` escape) is no character: it becomes
    U+FFFD, a broken one, as it cannot be encoded for OpenCC, whose ``convert`` would raise."""
    text = _PINYIN.sub("", text)
    text = unicodedata.normalize("NFKC", _SURROGATE.sub("\ufffd", text))
    return _converter().convert(text)


def _significant(ch: str) -> bool:
    return ch.isalnum()


def normalise(text: str) -> str:
    """Only the words: :func:`clean`, then without punctuation and whitespace."""
    return "".join(ch for ch in clean(text) if _significant(ch))


@dataclass
class Document:
    """A cited document: its cleaned text and the normalised one with a map back."""

    path: str
    text: str  # cleaned (see clean()), punctuation kept: what suggestions show
    norm: str  # significant characters; broken ones are MARK
    where: list[int]  # norm index -> text index

    def excerpt(self, start: int, end: int) -> str:
        """The cleaned text of normalised characters ``start:end``."""
        if start >= len(self.where):
            return ""
        a, b = self.where[start], self.where[max(start, min(end, len(self.where)) - 1)] + 1
        return self.text[a:b].replace(MARK, "").replace("\n", " ").strip()


def read_document(path: Path) -> Document:
    """Read a ``.txt`` or ``.json`` document. Raises OSError / ValueError when it cannot."""
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise ValueError(f"文件超过 {MAX_DOCUMENT_BYTES} 字节")
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        raw = "\n".join(_strings(json.loads(raw)))
    return document_of(str(path), raw)


def document_of(path: str, raw: str) -> Document:
    """A :class:`Document` from its raw text."""
    text = clean(raw)
    broken = _broken_positions(text)
    norm, where = [], []
    for i, ch in enumerate(text):
        if i in broken:
            if not norm or norm[-1] != MARK:  # a run of broken characters is one mark
                norm.append(MARK)
                where.append(i)
        elif _significant(ch):
            norm.append(ch)
            where.append(i)
    return Document(path, text, "".join(norm), where)


def _broken_positions(text: str) -> set[int]:
    hits = [m.start() for m in _BROKEN_CHAR.finditer(text)]
    out = set(hits)
    for a, b in zip(hits, hits[1:]):
        if b - a <= _BROKEN_REACH:
            out.update(range(a, b))
    return out


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


# ------------------------------------------------------------------ finding
def quote_parts(quote: str) -> list[str]:
    """The normalised parts of a quote, split where it has an ellipsis."""
    parts = [normalise(p) for p in _ELLIPSIS.split(clean(quote))]
    return [p for p in parts if p]


def find(doc: Document, quote: str) -> Optional[tuple[int, int]]:
    """(start, end) in ``doc.norm`` where ``quote`` is, or None."""
    parts = quote_parts(quote)
    if not parts:
        return None
    return _find_parts(doc, parts, 0, None)


def _find_parts(doc: Document, parts: list[str], start: int, limit: Optional[int]) -> Optional[tuple[int, int]]:
    first, rest = parts[0], parts[1:]
    for pos, end in _occurrences(doc, first, start, limit):
        if not rest:
            return pos, end
        tail = _find_parts(doc, rest, end, end + MAX_GAP)
        if tail is not None:
            return pos, tail[1]
    return None


def _occurrences(doc: Document, part: str, start: int, limit: Optional[int]):
    """Where ``part`` occurs at or after ``start`` (and starts before ``limit``): exactly,
    else differing from the document only inside runs of broken characters."""
    norm, found = doc.norm, 0
    pos = norm.find(part, start)
    while pos != -1 and (limit is None or pos <= limit) and found < 50:
        found += 1
        yield pos, pos + len(part)
        pos = norm.find(part, pos + 1)
    if MARK in norm:
        for window_start, window_end in _candidates(doc, part, start, limit):
            hit = _tolerant(norm, part, window_start, window_end)
            if hit is not None:
                yield hit


def _candidates(doc: Document, part: str, start: int, limit: Optional[int], keep: int = 5):
    """Windows of ``doc.norm`` where ``part`` may be: offsets most of its 2-grams agree on."""
    norm = doc.norm
    votes: dict[int, int] = {}
    for i in range(len(part) - 1):
        gram = part[i:i + 2]
        pos = norm.find(gram, start)
        while pos != -1 and (limit is None or pos <= limit + len(part)):
            votes[pos - i] = votes.get(pos - i, 0) + 1
            pos = norm.find(gram, pos + 1)
    best = sorted(votes.items(), key=lambda kv: -kv[1])[:keep]
    pad = 12
    return [(max(start, off - pad), off + len(part) + pad) for off, count in best
            if count >= max(1, len(part) // 4)]


def _tolerant(norm: str, part: str, a: int, b: int) -> Optional[tuple[int, int]]:
    """``part`` in ``norm[a:b]``, where everything that differs touches a broken run:
    a run (one MARK) stands for the few characters it garbled, and may have left a
    few garbled characters of its own beside it."""
    window = norm[a:b]
    if MARK not in window:
        return None
    matcher = difflib.SequenceMatcher(None, window, part, autojunk=False)
    ops = [list(op) for op in matcher.get_opcodes()]
    # drop the window's own padding: document text before and after the quote
    while ops and ops[0][3] == ops[0][4]:
        ops.pop(0)
    while ops and ops[-1][3] == ops[-1][4]:
        ops.pop()
    if not ops:
        return None
    equal = sum(op[4] - op[3] for op in ops if op[0] == "equal")
    if equal < 0.6 * len(part):
        return None
    for k, op in enumerate(ops):
        tag, i1, i2, j1, j2 = op
        if tag == "equal":
            continue
        doc_side = window[i1:i2]
        if k == 0 and MARK in doc_side:  # the quote starts inside the run, not in the padding before it
            op[1] = i1 = i1 + doc_side.index(MARK)
        if k == len(ops) - 1 and MARK in doc_side:
            op[2] = i2 = i1 + window[i1:i2].rindex(MARK) + 1
        doc_side, quote_side = window[i1:i2], j2 - j1
        marks = doc_side.count(MARK)
        if marks and not quote_side and marks == len(doc_side):
            continue  # a run that garbled nothing the quote says
        if marks and quote_side and len(doc_side) - marks <= 6 and quote_side <= 8 * marks + 6:
            continue
        if not doc_side and quote_side <= 2 and MARK in window[max(0, i1 - 1):i1 + 1]:
            continue  # characters a broken run swallowed beside it
        return None
    return a + ops[0][1], a + ops[-1][2]


def closest(doc: Document, quote: str) -> Optional[str]:
    """The passage of ``doc`` most like ``quote`` (cleaned text), for a hint."""
    parts = quote_parts(quote)
    if not parts:
        return None
    part = max(parts, key=len)
    windows = _candidates(doc, part, 0, None, keep=8)
    best, score = None, 0.0
    for a, b in windows:
        matcher = difflib.SequenceMatcher(None, doc.norm[a:b], part, autojunk=False)
        ratio = matcher.ratio()
        if ratio > score:
            blocks = [m for m in matcher.get_matching_blocks() if m.size]
            start = a + blocks[0].a  # from the first shared character, at least as long as the quote
            best, score = (start, max(a + blocks[-1].a + blocks[-1].size, start + len(part))), ratio
    if best is None or score < 0.3:
        return None
    return doc.excerpt(*best)


def hedge_of(quote: str) -> Optional[str]:
    """The hedging word in ``quote`` (原则上, 一般, 可 …), if any."""
    text = normalise(quote)
    for word in HEDGES:
        if word == "可":
            if re.search("可", _NOT_HEDGE_KE.sub("", text)):
                return word
        elif word in text:
            return word
    return None


# ------------------------------------------------------------------ folders
#: a pack (tenant) -> the folders its documents may be in, first match wins
Folders = Callable[[str], list[Path]]


def folders_for(root: Path, override: Optional[Path] = None, packs: Optional[dict] = None) -> Folders:
    """Where the documents of each tenant's pack are: ``--documents DIR`` first, then the
    pack's own ``documents "…"`` (relative to the pack folder), then ``documents = "…"`` in
    ``tenants/<tenant>.toml`` (relative to that folder), then the repository's ``documents/``
    beside ``root`` (the ``rule_packs`` folder)."""
    packs = packs or {}

    def folders(tenant: str) -> list[Path]:
        out = [override] if override is not None else []
        header_dir = packs.get(tenant)
        if header_dir is not None:
            out.append(header_dir)
        toml = root.parent / "tenants" / f"{tenant}.toml"
        if toml.is_file():
            try:
                named = tomllib.loads(toml.read_text(encoding="utf-8")).get("documents")
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                named = None  # the registry reports an unreadable tenant file itself (E100)
            if isinstance(named, str):
                out.append(toml.parent / named)
        out.append(root.parent / "documents")
        return out
    return folders


# ------------------------------------------------------------------ checking a pack
class Verifier:
    """Checks the citations of one pack (its own declarations) against the documents."""

    def __init__(self, linked, folders: Folders):
        self.linked = linked
        self.folders = folders
        self.diags: list[Diagnostic] = []
        self._docs: dict[tuple[str, str], object] = {}

    def run(self, tenant: str) -> list[Diagnostic]:
        unit = next(u for u in self.linked.units if u.tenant == tenant)
        for d in unit.decls():
            if isinstance(d, n.Rule):
                if not d.cites:
                    self.diags.append(make("E504", d.span, what=f"规则 {d.id}"))
                for c in d.cites:
                    self._cite(c, tenant)
                hedge = self._hedge(d)
                if hedge is not None:
                    cite, word = hedge
                    self.diags.append(make("W304", cite.quote_span or cite.span, rule=d.id, word=word))
            elif isinstance(d, n.ListDecl):
                for c in d.cites:
                    self._cite(c, tenant)
                for item in d.entries:
                    for c in getattr(item, "cites", ()):
                        self._cite(c, tenant)
            elif isinstance(d, n.Standard):
                for c in d.cites:
                    self._cite(c, tenant)
        return self.diags

    @staticmethod
    def _hedge(rule: n.Rule):
        if not rule.effects or rule.effects[0].kind != "reject":
            return None
        for c in rule.cites:
            if c.quote is not None:
                word = hedge_of(c.quote)
                if word is not None:
                    return c, word
        return None

    def _cite(self, c: n.Cite, tenant: str) -> None:
        if c.quote is None:
            return
        at = c.quote_span or c.span
        entry = self.linked.sources.get(c.source)
        if entry is None:
            return  # E209 already
        source, owner = entry
        if not source.file:
            self.diags.append(make("E502", at, source=c.source))
            return
        if len(c.quote) > MAX_QUOTE:
            self.diags.append(make("E501", at, source=c.source, file=source.file,
                                   quote=c.quote[:20] + "…", hint=f"引文不能超过 {MAX_QUOTE} 个字符"))
            return
        doc = self._document(source, tenant, owner, at)
        if doc is None:
            return
        if find(doc, c.quote) is None:
            near = closest(doc, c.quote)
            hint = f"文件中最接近的一段是:“{near}”" if near else "文件中没有相近的段落"
            shown = c.quote if len(c.quote) <= 40 else c.quote[:40] + "…"
            self.diags.append(make("E501", at, source=c.source, file=source.file, quote=shown, hint=hint))

    def _document(self, source: n.Source, tenant: str, owner: str, at: n.Span):
        key = (tenant, source.file)
        if key in self._docs:
            return self._docs[key]
        doc, tried = None, []
        if "/" in source.file or "\\" in source.file or source.file.startswith("."):
            self.diags.append(make("E503", at, file=source.file, folders="(文件名不能含路径)"))
            self._docs[key] = None
            return None
        for folder in [*self.folders(tenant), *self.folders(owner)]:
            if folder in tried:
                continue
            tried.append(folder)
            path = folder / source.file
            if path.is_file():
                try:
                    doc = _read_cached(str(path.resolve()), path.stat().st_mtime_ns)
                except (OSError, UnicodeDecodeError, ValueError) as e:
                    self.diags.append(make("E503", at, file=source.file, folders=f"{path}:{e}"))
                    self._docs[key] = None
                    return None
                break
        if doc is None:
            self.diags.append(make("E503", at, file=source.file, folders="、".join(str(f) for f in tried)))
        self._docs[key] = doc
        return doc


@lru_cache(maxsize=32)
def _read_cached(path: str, _mtime: int) -> Document:
    return read_document(Path(path))


def verify(linked, tenant: str, folders: Folders) -> list[Diagnostic]:
    """The citation diagnostics of ``tenant``'s own declarations: E501–E504, W304."""
    return Verifier(linked, folders).run(tenant)


def verify_pack(pack, root: Optional[Path] = None, documents: Optional[Path] = None) -> list[Diagnostic]:
    """:func:`verify` for a compiled pack's leaf; ``root`` is its ``rule_packs`` folder (for
    ``tenants/`` and ``documents/`` beside it), ``documents`` the ``--documents`` folder."""
    linked = pack.checked.linked
    base = Path(root) if root is not None else Path("rule_packs")
    # a pack's own folder is <root>/<tenant>: the compiled pack may come from the content cache,
    # compiled from another loader (memory: the folder is only the tenant's name)
    own = {u.tenant: (base / u.tenant if root is not None else Path(u.source.folder)) / u.header.documents
           for u in linked.units if u.header is not None and u.header.documents and u.source.folder}
    return verify(linked, pack.tenant, folders_for(base, Path(documents) if documents else None, own))
