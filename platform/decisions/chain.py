"""The hash chain of the decision log.

Each entry's hash covers the previous entry's hash and the entry's content
(canonical JSON), so editing any row breaks its own hash and deleting one
leaves a gap in ``seq`` or a head that no longer matches.
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
                 "history", "pack", "outcome", "reasons", "requirements")


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


def entry_hash(prev_hash: str, fields: Mapping) -> str:
    """The hash of one entry given its predecessor's."""
    payload = canonical({k: fields[k] for k in HASHED_FIELDS})
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode("utf-8")).hexdigest()


def split_payload(texts: Mapping[str, str]) -> tuple[str, str]:
    """The canonical payload of an entry, around its ``seq``: ``prefix + str(seq) + suffix``.

    ``texts`` holds the canonical JSON (:func:`canonical`) of every hashed field but ``seq``.
    An entry is hashed before the head of its chain is known; only ``seq`` and the previous
    hash are filled in under the chain's lock (:func:`chained_hash`).
    """
    before, after, past_seq = [], [], False
    for key in sorted(HASHED_FIELDS):
        if key == "seq":
            past_seq = True
        else:
            (after if past_seq else before).append(f"{_KEY_TEXT[key]}:{texts[key]}")
    return "{" + "".join(f"{part}," for part in before) + '"seq":', "".join(f",{part}" for part in after) + "}"


def chained_hash(prev_hash: str, prefix: str, seq: int, suffix: str) -> str:
    """:func:`entry_hash` of an entry split by :func:`split_payload`."""
    return hashlib.sha256(f"{prev_hash}\n{prefix}{seq}{suffix}".encode("utf-8")).hexdigest()
