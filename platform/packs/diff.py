"""Semantic difference between two compiled packs: lists, params, rules, standards.

Compares what the packs *mean* (merged lists, effective params, the rules in
force with their conditions), not their text: reformatting a file or moving a
rule shows no change; lowering a param inherited from an ancestor does.
"""
from __future__ import annotations

import re
from typing import Optional

from jiceng.dsl.pack import Pack

from jiceng.dsl.jsonvalue import jsonable


def _source_text(pack: Pack, span) -> Optional[str]:
    if span is None:
        return None
    text = pack.sources.get(span.file)
    if text is None:
        return None
    lines = text.split("\n")
    if span.line < 1 or span.end_line > len(lines):
        return None
    if span.line == span.end_line:
        part = lines[span.line - 1][span.column - 1: span.end_column - 1]
    else:
        part = "\n".join([lines[span.line - 1][span.column - 1:], *lines[span.line: span.end_line - 1],
                          lines[span.end_line - 1][: span.end_column - 1]])
    return re.sub(r"\s+", " ", re.sub(r"#[^\n\"]*$", "", part, flags=re.MULTILINE)).strip()


def _rules(pack: Pack) -> dict[str, dict]:
    out = {}
    for meta, info in zip(pack.rules, pack.checked.rules):
        out[meta.id] = {"pack": meta.pack, "title": meta.title, "effect": meta.effect,
                        "requirement": meta.requirement, "message": meta.message, "citation": meta.citation,
                        "overridable": meta.overridable, "unknown": meta.unknown,
                        "when": _source_text(pack, info.when.span if info.when is not None else None)}
    return out


def _standards(pack: Pack) -> dict[str, dict]:
    return {s.name: {"pack": s.pack, "title": s.title, "level": s.level,
                     "measures": [_source_text(pack, m[2].span) for m in s.measures],
                     "expects": [_source_text(pack, x.condition.span) for x in s.expects],
                     "exports": sorted(s.exports)} for s in pack.checked.standards}


def _compare(old: dict, new: dict) -> dict:
    added = sorted(k for k in new if k not in old)
    removed = sorted(k for k in old if k not in new)
    changed = []
    for k in sorted(k for k in new if k in old and new[k] != old[k]):
        fields = sorted(f for f in set(old[k]) | set(new[k]) if old[k].get(f) != new[k].get(f))
        changed.append({"name": k, "fields": fields,
                        "before": {f: old[k].get(f) for f in fields}, "after": {f: new[k].get(f) for f in fields}})
    return {"added": [{"name": k, **new[k]} for k in added], "removed": [{"name": k, **old[k]} for k in removed],
            "changed": changed}


def _list_items(pack: Pack) -> dict[str, dict]:
    return {name: {i["code"]: {k: i[k] for k in ("name", "kind", "requires", "attrs", "pack")} for i in items}
            for name, items in pack.lists.items()}


def semantic_diff(old: Pack, new: Pack) -> dict:
    """What changes when ``new`` replaces ``old`` (both compiled with their ancestors)."""
    old_lists, new_lists = _list_items(old), _list_items(new)
    lists = {"added": sorted(set(new_lists) - set(old_lists)), "removed": sorted(set(old_lists) - set(new_lists)),
             "items": {}}
    for name in sorted(set(old_lists) | set(new_lists)):
        d = _compare(old_lists.get(name, {}), new_lists.get(name, {}))
        if d["added"] or d["removed"] or d["changed"]:
            lists["items"][name] = d
    params = _compare({k: dict(v) for k, v in old.params.items()}, {k: dict(v) for k, v in new.params.items()})
    rules = _compare(_rules(old), _rules(new))
    disabled = {"added": sorted(set(new.disabled) - set(old.disabled)),
                "removed": sorted(set(old.disabled) - set(new.disabled))}
    standards = _compare(_standards(old), _standards(new))
    same = not (lists["added"] or lists["removed"] or lists["items"] or any(params.values())
                or any(rules.values()) or any(disabled.values()) or any(standards.values()))
    return jsonable({"same": same, "lists": lists, "params": params, "rules": rules,
                     "disabled_rules": disabled, "standards": standards})
