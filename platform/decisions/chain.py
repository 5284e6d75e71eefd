"""The hash chain of the decision log.

Each entry's hash covers the previous entry's hash and the entry's content
(canonical JSON), so editing any row breaks its own hash and deleting one
leaves a gap in ``seq`` or a head that no longer matches.

:func:`chain_hash` is the one definition of the link; everything else that hashes
an entry goes through it: :func:`entry_hash` (the verifier, from stored values),
the SQLite append (from the payload made once, :func:`split_payload`), and
:data:`SQL_CHAIN_HASH`, the same formula written in SQL for the one-statement
append on PostgreSQL (``tests/platform/test_chain_hash.py`` holds the two to each
other on random input). The hashes are unkeyed: who can write the database can
recompute them, which is why heads are signed outside it (:mod:`.checkpoint`).
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping

from jiceng.dsl.jsonvalue import jsonable

GENESIS_HASH = "0" * 64

#: the columns an entry's hash covers (everything but the row id and the hashes)
HASHED_FIELDS = ("tenant_code", "seq", "kind", "actor", "created_at", "decided_on", "input", "target",
                 "history", "pack", "outcome", "reasons", "requirements", "items")
#: hashed only when the entry holds them (not None): entries written before such a field existed
#: (the list items a decision relied on, ``items``) keep the payload, hence the hash, they had
OPTIONAL_FIELDS = frozenset({"items"})


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_KEY_TEXT = {k: _ENCODER.encode(k) for k in HASHED_FIELDS}
#: how a float with an integral value is written (``2.0``, ``-0.0``, ``1e+16``); text such as
#: "2024.06" does not match, but "v1.0" inside a string does (it then takes the exact path)
_INTEGRAL_FLOAT = re.compile(r"\.0(?![0-9])|e\+")


def canonical(value) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text kept as is."""
    return _ENCODER.encode(value)


def canonical_jsonable(value: Any) -> str:
    """``canonical(jsonable(value))``, without a walk through ``value`` in Python when it is
    plain JSON already (as a request body, unit facts and decisions are).

    The encoder refuses what is not JSON (a Fraction, a set, a date: the exact path takes it).
    A float with an integral value, which :func:`jsonable` writes as an integer, always shows
    as :data:`_INTEGRAL_FLOAT` in the text, and such a text takes the exact path too.
    """
    try:
        text = _ENCODER.encode(value)
    except (TypeError, ValueError):
        return canonical(jsonable(value))
    if _INTEGRAL_FLOAT.search(text):
        return canonical(jsonable(value))
    return text


def chain_hash(prev_hash: str, payload: str) -> str:
    """The chain's link, defined here only: SHA-256 (hex) of the previous hash, a newline and
    the entry's canonical payload, as UTF-8."""
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode("utf-8")).hexdigest()


#: :func:`chain_hash` in PostgreSQL, for appends chained inside one statement; ``{prev}`` and
#: ``{payload}`` are SQL text expressions. Kept next to the Python so that the two change together.
SQL_CHAIN_HASH = "encode(sha256(convert_to({prev} || E'\\n' || {payload}, 'UTF8')), 'hex')"


def entry_payload(fields: Mapping) -> str:
    """The canonical payload of an entry: the JSON object of its :data:`HASHED_FIELDS` (an
    :data:`OPTIONAL_FIELDS` one only when the entry holds it)."""
    return canonical({k: fields[k] for k in HASHED_FIELDS
                      if k not in OPTIONAL_FIELDS or fields.get(k) is not None})


def entry_hash(prev_hash: str, fields: Mapping) -> str:
    """The hash of one entry given its predecessor's."""
    return chain_hash(prev_hash, entry_payload(fields))


def split_payload(texts: Mapping[str, str]) -> tuple[str, str]:
    """The canonical payload of an entry, around its ``seq``: ``prefix + str(seq) + suffix``.

    ``texts`` holds the canonical JSON (:func:`canonical`) of every hashed field but ``seq``
    (an :data:`OPTIONAL_FIELDS` one may be missing, or ``null``: it is then left out).
    An entry is hashed before the head of its chain is known; only ``seq`` and the previous
    hash are filled in under the chain's lock: the payload is then ``f"{prefix}{seq}{suffix}"``,
    exactly :func:`entry_payload` of the entry.
    """
    before, after, past_seq = [], [], False
    for key in sorted(HASHED_FIELDS):
        if key == "seq":
            past_seq = True
        elif key in OPTIONAL_FIELDS and texts.get(key) in (None, "null"):
            continue
        else:
            (after if past_seq else before).append(f"{_KEY_TEXT[key]}:{texts[key]}")
    return "{" + "".join(f"{part}," for part in before) + '"seq":', "".join(f",{part}" for part in after) + "}"

