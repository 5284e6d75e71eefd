"""Signed checkpoints of the decision log: what makes a quiet rewrite of it detectable.

The chain's hashes are unkeyed and its heads live in the same database, so who
can write the database can rewrite an entry, rehash everything after it and
move the head, and the chain still verifies. A checkpoint is a statement of
every tenant's chain — its size and head hash — signed with an Ed25519 key kept
*outside* the database (a file named by ``JICENG_CHECKPOINT_KEY``, made by
:func:`generate_key`). An auditor keeps the exported checkpoint elsewhere;
later, :func:`~.log.verify` with its heads proves that each chain still extends
what was signed (the entry at position ``size`` recomputes, from genesis and the
entries' contents alone, to exactly the signed hash, and the entries after it
chain on), or names the tenant whose log vanished, shrank or was rewritten:
Certificate Transparency's consistency, without its Merkle tree, since the
verifier reads the whole log anyway.

The document (the file, and the API's body)::

    {"checkpoint": {"format": "jiceng-checkpoint/1", "issued_at": "…Z", "key_id": "…",
                    "tenants": [{"tenant": "changsha", "size": 12, "head": "<64 hex>"}, …]},
     "signature": "<base64 Ed25519 signature of the canonical JSON of "checkpoint">"}

A copy is stored in ``decision_checkpoints`` for convenience; verification never
reads that table (who can rewrite the log can rewrite it as well).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiceng.platform.db.engine import Database
from jiceng.platform.db.models import Checkpoint
from jiceng.platform.decisions.append import utc_now_text
from jiceng.platform.decisions.chain import canonical
from jiceng.platform.decisions.log import SignedHead, verify
from jiceng.platform.errors import Conflict, Invalid, ServiceError

FORMAT = "jiceng-checkpoint/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class KeyUnavailable(ServiceError):
    """The signing key is not configured, unreadable, not an Ed25519 private key, or readable by others:
    the service cannot sign (the API answers 503, the CLI exits 2)."""


class SignatureInvalid(ServiceError):
    """A checkpoint whose signature does not verify with the key it names: it was altered or forged."""


# ----------------------------------------------------------------------- keys
def key_id(public_key: Ed25519PublicKey) -> str:
    """A key's short name: the first 16 hex digits of SHA-256 of its 32 raw bytes. It only says which
    key signed; the signature is always checked with the public key the auditor holds."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), the form ``--public-key`` reads."""
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def public_key_path(private_path: Path) -> Path:
    """Where :func:`generate_key` puts the public half: next to the private key, ``.pub`` added."""
    return private_path.with_name(private_path.name + ".pub")


def generate_key(path: Path) -> str:
    """Write a new Ed25519 private key to ``path`` (PEM, mode 0600) and its public key next to it
    (:func:`public_key_path`, 0644); the key id. An existing file is never overwritten: a
    replaced key would leave every checkpoint signed so far unverifiable with the new one."""
    pub_path = public_key_path(path)
    for p in (path, pub_path):
        if p.exists():
            raise Invalid("checkpoint_key_exists", f"文件 {p} 已存在,不会覆盖(换新密钥请另选路径)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        # created 0600 from the start (never briefly readable by others), whatever the umask
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), 0o600)
            f.write(pem)
        pub_path.write_text(public_pem(key.public_key()), encoding="ascii")
    except OSError as e:
        raise Invalid("checkpoint_key_unwritable", f"无法写入密钥文件:{e.strerror or e}",
                      {"path": str(e.filename or path)}) from None
    return key_id(key.public_key())


def load_signing_key(path: Optional[str]) -> Ed25519PrivateKey:
    """The private key configured as ``JICENG_CHECKPOINT_KEY``; :class:`KeyUnavailable` otherwise."""
    if not path:
        raise KeyUnavailable("checkpoint_key_not_configured",
                             "未配置签名密钥:用 jiceng decisions keygen --out 路径 生成,"
                             "再把环境变量 JICENG_CHECKPOINT_KEY 设为该路径")
    p = Path(path)
    try:
        mode = p.stat().st_mode
        data = p.read_bytes()
    except OSError as e:
        raise KeyUnavailable("checkpoint_key_unreadable", f"无法读取签名密钥 {path}:{e.strerror or e}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyUnavailable("checkpoint_key_exposed",
                             f"签名密钥 {path} 可被其他用户读写(权限 {stat.filemode(mode)}),请改为 600:chmod 600 {path}")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyUnavailable("checkpoint_key_invalid", f"{path} 不是未加密的 Ed25519 私钥(PEM)")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An auditor's copy of the public key (PEM); :class:`Invalid` when it is not one."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise Invalid("public_key_unreadable", f"无法读取公钥 {path}:{e.strerror or e}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise Invalid("public_key_invalid", f"{path} 不是 Ed25519 公钥(PEM)")
    return key


# ----------------------------------------------------------------------- documents
@dataclass(frozen=True)
class Signed:
    """A checkpoint whose signature verified: its statement and the heads it signs, by tenant."""

    statement: dict
    heads: dict[str, SignedHead]

    @property
    def issued_at(self) -> str:
        return self.statement["issued_at"]

    @property
    def key_id(self) -> str:
        return self.statement["key_id"]


def _sign(key: Ed25519PrivateKey, statement: dict) -> dict:
    signature = key.sign(canonical(statement).encode("utf-8"))
    return {"checkpoint": statement, "signature": base64.b64encode(signature).decode("ascii")}


def parse(text: str) -> dict:
    """A checkpoint document read from text; :class:`Invalid` (``checkpoint_invalid``) when it is not one.
    The signature is not checked here (:func:`open_document`)."""
    def bad(why: str) -> Invalid:
        return Invalid("checkpoint_invalid", f"不是有效的检查点文件:{why}")
    try:
        doc = json.loads(text)
    except ValueError:
        raise bad("不是 JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("checkpoint"), dict) \
            or not isinstance(doc.get("signature"), str):
        raise bad("应为 {\"checkpoint\": {...}, \"signature\": \"...\"}")
    st = doc["checkpoint"]
    if st.get("format") != FORMAT:
        raise bad(f"格式应为 {FORMAT}")
    if not isinstance(st.get("issued_at"), str) or not isinstance(st.get("key_id"), str):
        raise bad("缺少 issued_at 或 key_id")
    tenants = st.get("tenants")
    if not isinstance(tenants, list):
        raise bad("缺少 tenants 列表")
    seen = set()
    for t in tenants:
        if not (isinstance(t, dict) and isinstance(t.get("tenant"), str) and type(t.get("size")) is int
                and t["size"] >= 0 and isinstance(t.get("head"), str) and _HEX64.fullmatch(t["head"])):
            raise bad("tenants 的每一项应为 {\"tenant\", \"size\"(非负整数), \"head\"(64 位十六进制)}")
        if t["tenant"] in seen:
            raise bad(f"租户 {t['tenant']} 出现了两次")
        seen.add(t["tenant"])
    return doc


def open_document(doc: dict, public_key: Ed25519PublicKey) -> Signed:
    """The checkpoint of a parsed document (:func:`parse`) once its signature verifies with
    ``public_key``: :class:`Invalid` (``checkpoint_key_mismatch``) when it names another key,
    :class:`SignatureInvalid` when the signature does not verify."""
    st = doc["checkpoint"]
    expected = key_id(public_key)
    if st["key_id"] != expected:
        raise Invalid("checkpoint_key_mismatch", f"检查点由密钥 {st['key_id']} 签名,给出的公钥是 {expected}",
                      {"checkpoint_key_id": st["key_id"], "public_key_id": expected})
    try:
        public_key.verify(base64.b64decode(doc["signature"], validate=True), canonical(st).encode("utf-8"))
    except (InvalidSignature, binascii.Error, ValueError):
        raise SignatureInvalid("checkpoint_signature_invalid",
                               f"检查点(签发于 {st['issued_at']})的签名无效:文件被改动过,或不是该密钥签发的") from None
    heads = {t["tenant"]: SignedHead(t["tenant"], t["size"], t["head"]) for t in st["tenants"]}
    return Signed(st, heads)


# ----------------------------------------------------------------------- making one
def _latest_stored(session: Session, public_key: Ed25519PublicKey) -> Optional[Signed]:
    """The newest stored checkpoint that this key signed and that still verifies, if any."""
    kid = key_id(public_key)
    rows = session.execute(select(Checkpoint).where(Checkpoint.key_id == kid)
                           .order_by(Checkpoint.id.desc()).limit(20)).scalars()
    for row in rows:
        try:
            return open_document(parse(json.dumps({"checkpoint": _loads(row.statement),
                                                   "signature": row.signature})), public_key)
        except (Invalid, SignatureInvalid):
            continue  # a row altered in the table proves nothing either way: the next one may
    return None


def make_checkpoint(db: Database, key: Ed25519PrivateKey, actor: str) -> tuple[int, dict]:
    """Verify every chain, sign their heads, store a copy; the stored id and the document.

    Refused (:class:`Conflict` ``log_broken``, with the problems as details) when a chain does not
    verify, or does not extend the newest stored checkpoint this key signed: a checkpoint must
    never bless a log already tampered with. (The stored copy is only an extra guard here: an
    auditor verifies against the checkpoints they kept.)
    """
    with db.read() as session:
        previous = _latest_stored(session, key.public_key())
        reports = verify(session, signed=previous.heads if previous is not None else None)
    problems = [p for r in reports for p in r.problems]
    if problems:
        raise Conflict("log_broken", f"决定记录校验发现 {len(problems)} 处问题,不签发检查点"
                                     "(先用 jiceng decisions verify 查明)", [p.to_dict() for p in problems[:50]])
    statement = {"format": FORMAT, "issued_at": utc_now_text(), "key_id": key_id(key.public_key()),
                 "tenants": [{"tenant": r.tenant, "size": r.head_seq, "head": r.head_hash}
                             for r in reports if r.head_seq is not None]}
    doc = _sign(key, statement)
    with db.write() as session:
        row = Checkpoint(issued_at=statement["issued_at"], key_id=statement["key_id"],
                         statement=canonical(statement), signature=doc["signature"], created_by=actor)
        session.add(row)
        session.flush()
        return row.id, doc


def stored(session: Session, limit: int) -> list[dict[str, Any]]:
    """The stored copies, newest first, as documents (unverified: a convenience, see the module)."""
    rows = session.execute(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(limit)).scalars()
    return [{"id": r.id, "created_by": r.created_by,
             "document": {"checkpoint": _loads(r.statement), "signature": r.signature}} for r in rows]


def _loads(text: str) -> Optional[dict]:
    """A stored statement, None when the row no longer holds JSON (shown, not trusted either way)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
