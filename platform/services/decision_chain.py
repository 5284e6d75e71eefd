"""The hash chain of the decision log.

Each entry's hash covers the previous entry's hash and the entry's content
(canonical JSON), so editing any row breaks its own hash and deleting one
leaves a gap in ``seq`` or a head that no longer matches.
"""
from __future__ import annotations

import hashlib
import json
from typing import Mapping

GENESIS_HASH = "0" * 64

#: the columns an entry's hash covers (everything but the row id and the hashes)
HASHED_FIELDS = ("tenant_code", "seq", "kind", "actor", "created_at", "decided_on", "input", "target",
                 "history", "pack", "outcome", "reasons", "requirements")


def canonical(value) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def entry_hash(prev_hash: str, fields: Mapping) -> str:
    """The hash of one entry given its predecessor's."""
    payload = canonical({k: fields[k] for k in HASHED_FIELDS})
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode("utf-8")).hexdigest()
