"""清单 spreadsheets in and out of a tenant's pack.

Export: the 清单 of a pack chain (in force today, or of one version) as a table, every item
with its citation (its own 依据, else the clause its list is declared under in the item's pack)
and the pack it comes from, so that inherited items are marked.

Import: a table becomes the tenant's own items of the lists it names, in a new draft version
on top of a base version (the latest one unless told). For each list in the table the tenant's
own declaration is rewritten in place (its title, kind and cite kept; ``remove`` lines kept) or,
when it has none, added to ``lists.jc``. Rows marked with another pack of the chain and equal to
that pack's item are inherited and left out; a marked row that differs overrides the item.
Every row is checked first (row, column, code, zh-CN message) and the draft compiled; a problem
anywhere stores nothing. A dry run answers the same, what would change per list, and the text.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiceng.dsl import clock
from jiceng.dsl import nodes as n
from jiceng.dsl.pack import Pack
from jiceng.dsl.parser import parse

from jiceng.platform.auth.tokens import Principal
from jiceng.platform.db.models import PackHead, PackVersion, Tenant
from jiceng.platform.errors import Conflict, Invalid, NotFound
from jiceng.platform.lists.declarations import Citation, ListItem, from_compiled, item_declaration, name_or_quoted, quote
from jiceng.platform.lists.table import (LAYOUT, TABLE_KINDS, Catalogue, ListRef, TableRow, check_rows, normalized,
                                         row_values, write_csv, write_xlsx)
from jiceng.platform.packs.lifecycle import store_version, version_dict
from jiceng.platform.packs.versions import ResolvedPack, get_version, in_force
from jiceng.platform.runtime import Runtime
from jiceng.platform.units.importer import ImportProblems, Problem, read_file

LISTS_FILE = "lists.jc"
IMPORT_ORIGIN = "import"
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}


# ---------------------------------------------------------------------- reading a compiled chain
def list_cites(pack: Pack) -> dict[tuple[str, str], Citation]:
    """(pack, list) -> the clause its declaration there cites (declarations citing no clause left out)."""
    out = {}
    for unit in pack.checked.linked.units:
        for d in unit.decls():
            if isinstance(d, n.ListDecl) and d.cite is not None and d.cite.clause:
                out[(unit.tenant, d.name)] = _citation(d.cite)
    return out


def _citation(cite: n.Cite) -> Citation:
    return Citation(cite.source, cite.clause or "", cite.quote or "")


def chain_items(pack: Pack) -> dict[str, list[tuple[ListItem, str]]]:
    """Each 清单 of the chain (vocabularies left out): its items as the table holds them, with their
    pack; an item citing nothing of its own carries the clause its list is declared under there."""
    cites = list_cites(pack)
    out: dict[str, list[tuple[ListItem, str]]] = {}
    for name, info in pack.checked.lists.items():
        if info.kind not in TABLE_KINDS:
            continue
        rows = []
        for i in info.items:
            item = from_compiled(i)
            fallback = cites.get((i["pack"], name))
            if not item.cites and not item.citation and fallback is not None:
                item = replace(item, cites=(fallback,))
            rows.append((item, i["pack"]))
        out[name] = rows
    return out


def catalogue(pack: Pack) -> Catalogue:
    lists = {name: ListRef(name, info["kind"], info["title"]) for name, info in pack.list_info.items()
             if info["kind"] in TABLE_KINDS}
    sources = frozenset(pack.checked.linked.sources)
    items = {name: {item.code: (normalized(item, sources), owner) for item, owner in rows}
             for name, rows in chain_items(pack).items()}
    vocabularies = [name for name, info in pack.list_info.items() if info["kind"] == "category"]
    categories = frozenset(i["code"] for name in vocabularies for i in pack.lists[name]) if vocabularies else None
    return Catalogue(lists, dict(pack.checked.linked.requirements), tuple(c["tenant"] for c in pack.chain), items,
                     sources, categories)


# ---------------------------------------------------------------------- export
def export_lists(rt: Runtime, tenant: str, fmt: str, number: Optional[int] = None) -> tuple[bytes, str, str]:
    """(file bytes, file name, content type) of the 清单 in force today (or of version ``number``)."""
    with rt.db.read() as session:
        if number is None:
            pack = rt.pack_for(session, tenant, clock.today()).pack
        else:
            pack = _compile_version(rt, session, tenant, get_version(session, tenant, number)).pack
    labels = dict(pack.checked.linked.requirements)
    rows, seq = [], 0
    for name, items in chain_items(pack).items():
        for item, owner in items:
            seq += 1
            rows.append(row_values(seq, name, item, owner, labels))
    stem = f"{tenant}-清单-{pack.tenant}-{pack.version}" + (f"-第{number}版" if number else "")
    data = write_xlsx(rows, "清单") if fmt == "xlsx" else write_csv(rows)
    return data, f"{stem}.{fmt}", FORMATS[fmt]


def _compile_version(rt: Runtime, session: Session, tenant: str, v: PackVersion) -> ResolvedPack:
    return rt.compiler.resolve(session, tenant, in_force(session, clock.today()), rt.forms(session), draft=v.files)


# ---------------------------------------------------------------------- import
@dataclass
class Rewrite:
    """One list's new declaration: where it goes (a span to replace, or appended to lists.jc)."""

    name: str
    text: str
    rows: list[int]           # the table row of each item line, in order
    span: Optional[n.Span]


def import_lists(rt: Runtime, principal: Principal, tenant: str, data: bytes, filename: str = "", *,
                 dry_run: bool = False, base: Optional[int] = None) -> dict:
    """Check the table and, unless ``dry_run``, store the draft it makes (see the module docstring)."""
    principal.require("pack.write")
    parsed = read_file(data, filename, LAYOUT)
    with rt.db.write() as session:
        if session.get(Tenant, tenant) is None:
            raise NotFound("tenant_not_found", f"找不到租户 {tenant}")
        base_version = _base(session, tenant, base)
        base_pack = _compile_version(rt, session, tenant, base_version).pack
        cat = catalogue(base_pack)
        rows, problems = check_rows(parsed, cat, tenant)
        if problems:
            raise ImportProblems(sorted(problems, key=lambda p: (p.row or 0, p.column or "")), layout=LAYOUT)
        own = _own_rows(rows, cat)
        files, lines = _rewrite(dict(base_version.files), own, base_pack, tenant)
        try:
            resolved = rt.compiler.resolve(session, tenant, in_force(session, clock.today()), rt.forms(session),
                                           draft=files)
        except Invalid as e:
            raise _located(e, lines) from None
        changes = _changes(chain_items(base_pack), chain_items(resolved.pack), tenant,
                           frozenset(resolved.pack.checked.linked.sources))
        out = {"tenant": tenant, "format": parsed.format, "rows": len(parsed.rows), "base_number": base_version.number,
               "inherited_rows": len(rows) - sum(len(v) for v in own.values()), "lists": changes,
               "dry_run": dry_run, "ignored_columns": parsed.ignored, "version": None}
        if dry_run:
            out["files"] = {name: text for name, text in files.items() if base_version.files.get(name) != text}
            return out
        v = store_version(session, tenant, files, resolved, IMPORT_ORIGIN, principal.actor)
        out["version"] = version_dict(v, [], None)
        return out


def _base(session: Session, tenant: str, number: Optional[int]) -> PackVersion:
    if number is not None:
        return get_version(session, tenant, number)
    head = session.get(PackHead, tenant)
    if head is None or not head.last_number:
        raise Conflict("lists_no_base", f"租户 {tenant} 还没有规则包版本,无法导入清单;新租户建立时会生成草稿,"
                                        "或先上传草稿(POST .../packs)")
    return session.execute(select(PackVersion).where(PackVersion.tenant_code == tenant,
                                                     PackVersion.number == head.last_number)).scalar_one()


def _own_rows(rows: list[TableRow], cat: Catalogue) -> dict[str, list[TableRow]]:
    """The rows that make the tenant's own items, by list in the table's order (every list the
    table names is there, so a list whose own items all went is rewritten empty)."""
    own: dict[str, list[TableRow]] = {}
    for r in rows:
        mine = own.setdefault(r.list_name, [])
        if r.pack and cat.items[r.list_name][r.item.code][0] == r.item:
            continue  # inherited as it is
        mine.append(r)
    return own


def _rewrite(files: dict[str, str], own: dict[str, list[TableRow]], base: Pack, tenant: str
             ) -> tuple[dict[str, str], dict[tuple[str, int], int]]:
    """The pack's files with the tenant's own declaration of each list replaced; and
    (file, line) -> table row for every item line written."""
    decls = _own_declarations(files, tenant)
    edits: dict[str, list[Rewrite]] = {}
    for name, rows in own.items():
        found = decls.get(name)
        if not rows and found is None:
            continue  # every item of the list is inherited: nothing to declare
        where, decl = found if found else (LISTS_FILE, None)
        edits.setdefault(where, []).append(_declaration(name, rows, decl))
    lines: dict[tuple[str, int], int] = {}
    for file, rewrites in edits.items():
        text = files.get(file, "")
        placed = sorted((r for r in rewrites if r.span), key=lambda r: (r.span.line, r.span.column))
        pieces, pos, offsets = [], 0, []
        starts = _line_starts(text)
        for r in placed:
            start = starts[r.span.line - 1] + r.span.column - 1
            end = starts[r.span.end_line - 1] + r.span.end_column - 1
            pieces.append(text[pos:start])
            offsets.append((sum(map(len, pieces)), r))
            pieces.append(r.text.rstrip("\n"))
            pos = end
        pieces.append(text[pos:])
        new = "".join(pieces)
        for r in rewrites:
            if r.span is None:
                if new and not new.endswith("\n"):
                    new += "\n"
                if new:
                    new += "\n"
                offsets.append((len(new), r))
                new += r.text
        for offset, r in offsets:
            first = new.count("\n", 0, offset) + 1
            for k, row in enumerate(r.rows):
                lines[(f"{tenant}/{file}", first + 1 + k)] = row
        files[file] = new
    return files, lines


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _own_declarations(files: dict[str, str], tenant: str) -> dict[str, tuple[str, n.ListDecl]]:
    """list name -> (file, declaration) of the tenant's own ``list`` declarations."""
    out = {}
    for name, text in files.items():
        module, _diags = parse(text, name)
        for d in module.decls:
            if isinstance(d, n.ListDecl):
                out.setdefault(d.name, (name, d))
    return out


def _declaration(name: str, rows: list[TableRow], decl: Optional[n.ListDecl]) -> Rewrite:
    """A list's declaration: the existing head (title, kind, cite) and removals, the table's items."""
    head = f"list {name}"
    own_cite = None
    removes: list[str] = []
    if decl is not None:
        if decl.title:
            head += f" {quote(decl.title)}"
        if decl.kind:
            head += f" kind {decl.kind}"
        for cite in decl.cites:  # every cite of the list's head, kept as written
            head += f" cite {name_or_quoted(cite.source)}" + (f" {quote(cite.clause)}" if cite.clause else "")
            if cite.quote:
                head += f" quote {quote(cite.quote)}"
        if decl.cite is not None and decl.cite.clause:
            own_cite = _citation(decl.cite)
        removes = [f"  remove {quote(e.code)}\n" for e in decl.entries if isinstance(e, n.Remove)]
    body = []
    for r in rows:
        item = r.item
        if own_cite is not None and item.cites == (own_cite,):  # the list's own clause: said once, on the list
            item = replace(item, cites=())
        body.append(f"  {item_declaration(item)}\n")
    return Rewrite(name, f"{head} {{\n{''.join(body)}{''.join(removes)}}}\n", [r.row for r in rows],
                   decl.span if decl is not None else None)


def _located(e: Invalid, lines: dict[tuple[str, int], int]) -> Invalid:
    """A compile failure of the draft: diagnostics at an imported item name its table row."""
    if e.code != "pack_invalid" or not isinstance(e.details, list):
        return e
    problems = []
    for d in e.details:
        if d.get("severity", "error") != "error":
            continue
        row = lines.get((d.get("file"), d.get("line")))
        where = "" if row is not None else f"({d.get('file')}:{d.get('line')})"
        problems.append(Problem(row, None, d["code"], d["message"] + where))
    return ImportProblems(problems, layout=LAYOUT)


def _changes(before: dict[str, list[tuple[ListItem, str]]], after: dict[str, list[tuple[ListItem, str]]],
             tenant: str, sources: frozenset[str]) -> list[dict]:
    """Per list: the tenant's own items added, removed and changed by the import."""
    out = []
    for name in after:
        old = {i.code: normalized(i, sources) for i, owner in before.get(name, []) if owner == tenant}
        new = {i.code: normalized(i, sources) for i, owner in after[name] if owner == tenant}
        added = [c for c in new if c not in old]
        removed = [c for c in old if c not in new]
        changed = [c for c in new if c in old and new[c] != old[c]]
        out.append({"list": name, "added": added, "removed": removed, "changed": changed,
                    "unchanged": len(new) - len(added) - len(changed), "inherited": len(after[name]) - len(new)})
    return out
