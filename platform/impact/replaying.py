"""Replaying one range of the decision log: plain rows in, a :class:`.tally.Tally` out.

The hot path of impact. Per job and process it keeps what repeats across rows:

* the compiled pack of each recorded ``pack`` text (its versions, with the draft in place of
  its tenant's, and the task form the decision used), resolved once through the service's own
  :class:`~jiceng.platform.packs.versions.PackCompiler` and
  :mod:`~jiceng.platform.decisions.replay` (the one-at-a-time reference);
* each distinct JSON text decoded once (targets, histories, reasons and tasks repeat: a unit's
  facts, an assignment sent to many units), by :mod:`.jsontext` (msgspec, with json's result);

Rows are read as plain tuples (no ORM objects, no JSON decoding by the driver), a chunk at a
time: on PostgreSQL through ``COPY (SELECT …) TO STDOUT (FORMAT BINARY)`` with psycopg's copy
API (the server streams the range while this process replays it, without a round trip per
fetch; about half the server's CPU per row of a server-side cursor), the JSON columns as their
UTF-8 bytes (the binary form of ``json`` is its text); on SQLite by ``fetchmany`` (``yield_per``),
the JSON columns cast to BLOB: their UTF-8 bytes, not decoded into ``str`` (text that is only
looked up or parsed; about half of SQLite's time per row). Nothing here validates a task against
its form again: the log holds what the service decided on.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Iterator, Optional

from sqlalchemy import LargeBinary, Text, cast, select

from jiceng.dsl.pack import DecisionInputError, Pack
from jiceng.platform.db.engine import Database
from jiceng.platform.db.models import Decision
from jiceng.platform.decisions.replay import recorded_forms, recorded_versions
from jiceng.platform.errors import ServiceError
from jiceng.platform.forms.store import FormSnapshot, StoredForm
from jiceng.platform.impact import jsontext
from jiceng.platform.impact.tally import ERROR_EXAMPLES, Tally
from jiceng.platform.impact.window import Window
from jiceng.platform.packs.versions import InForce, PackCompiler

FETCH_ROWS = 2000        # rows replayed per chunk (SQLite: per fetch)
TEXT_CACHE = 20_000      # decoded texts kept per kind (memory: about 2 KB each); the cache starts afresh when full
FIRED_SETS = 4096        # sets of fired rules kept with their ids, per recorded pack

_D = Decision.__table__
_JSON = (_D.c.input, _D.c.target, _D.c.history, _D.c.pack, _D.c.reasons)
_PLAIN = (_D.c.id, _D.c.tenant_code, _D.c.kind, _D.c.decided_on, _D.c.outcome)
#: JSON columns read as their text (any database): decoded by the reader, once per distinct text
_COLUMNS = (*_PLAIN, *(cast(c, Text) for c in _JSON))
#: what a replay reads on SQLite: the JSON columns as the bytes of their UTF-8 text (the driver
#: copies them without decoding them into ``str``: about half of SQLite's time per row)
_SQLITE_COLUMNS = (*_PLAIN, *(cast(c, LargeBinary) for c in _JSON))
#: PostgreSQL's binary COPY: the JSON columns as they are (their bytes are their UTF-8 text)
_COPY_COLUMNS = (*_PLAIN, *_JSON)
_COPY_TYPES = ("int4", "text", "text", "text", "text", *("bytea",) * len(_JSON))  # bytea: the bytes, as sent


@dataclass(frozen=True)
class VersionRef:
    """The version replayed in place of its tenant's recorded one (what
    :func:`~jiceng.platform.decisions.replay.recorded_versions` reads of a version)."""

    tenant_code: str
    id: int
    number: int
    files_digest: str


@dataclass(frozen=True)
class Spec:
    """Everything a process needs to replay ranges of one job (picklable: sent to each worker)."""

    url: str
    schema: Optional[str]
    tenants: tuple[str, ...]
    #: None: replay with the recorded versions themselves (the service's own decisions, again)
    draft: Optional[VersionRef]
    window: Window
    #: the window's units with every unit below them (None: all units)
    units: Optional[frozenset]
    #: the forms as of the job's start (the latest version of each)
    forms_key: int
    forms: tuple[StoredForm, ...]


def range_statement(spec: Spec, lo: int, hi: int, columns: tuple = _COLUMNS):
    """The rows of ids ``lo``..``hi`` in the job's tenants and dates, in id order (a keyset read)."""
    q = select(*columns).where(_D.c.id >= lo, _D.c.id <= hi, _D.c.tenant_code.in_(spec.tenants))
    if spec.window.date_from:
        q = q.where(_D.c.decided_on >= spec.window.date_from)
    if spec.window.date_to:
        q = q.where(_D.c.decided_on <= spec.window.date_to)
    return q.order_by(_D.c.id)


def read_range(conn, spec: Spec, lo: int, hi: int) -> Iterator[list[tuple]]:
    """The rows of :func:`range_statement` as a replay reads them, :data:`FETCH_ROWS` at a time, the
    JSON columns as the bytes of their UTF-8 text: binary ``COPY`` on PostgreSQL, ``fetchmany`` on SQLite."""
    if conn.dialect.name == "sqlite":
        yield from conn.execution_options(yield_per=FETCH_ROWS).execute(
            range_statement(spec, lo, hi, _SQLITE_COLUMNS)).partitions()
    else:
        yield from _copied(conn, range_statement(spec, lo, hi, _COPY_COLUMNS))


class _Recorded:
    """A recorded pack text, resolved: the pack to replay with, or why there is none."""

    __slots__ = ("pack", "rule_ids", "fired_ids", "affected", "error")

    def __init__(self, pack: Optional[Pack], affected: bool, error: Optional[ServiceError] = None):
        self.pack, self.affected, self.error = pack, affected, error
        self.rule_ids = tuple(r.id for r in pack.rules) if pack is not None else ()
        #: the ids of the rules fired, by their indices (a pack fires few distinct sets)
        self.fired_ids: dict[tuple, tuple] = {}


class Replayer:
    """Replays ranges of one job's rows in this process."""

    def __init__(self, db: Database, spec: Spec):
        self.db, self.spec = db, spec
        self.compiler = PackCompiler()
        self.forms = FormSnapshot(spec.forms_key, {(f.tenant, f.name): f for f in spec.forms})
        self.rules = frozenset(spec.window.rules) if spec.window.rules else None
        self._packs: dict[str, _Recorded] = {}
        self._texts: tuple[dict, dict, dict, dict] = ({}, {}, {}, {})  # inputs, targets, histories, reasons

    # ------------------------------------------------------------------ packs
    def recorded(self, text: str, on: str) -> _Recorded:
        """The recorded ``pack`` text ``text`` resolved (``.pack``; None when the version's pack
        is not in its chain, ``.error`` when it cannot be compiled), once per text."""
        return self._packs.get(text) or self._recorded(text, on)

    def _recorded(self, text: str, on: str) -> _Recorded:
        info = json.loads(text)
        chain = info.get("chain") or []
        draft = self.spec.draft
        if draft is not None and draft.tenant_code not in [c.get("tenant") for c in chain]:
            rec = _Recorded(None, False)
        else:
            try:
                with self.db.read() as session:
                    versions = recorded_versions(session, chain, draft)
                    resolved = self.compiler.resolve(session, chain[-1]["tenant"],
                                                     InForce(date.fromisoformat(on), versions),
                                                     recorded_forms(session, self.forms, info))
                rec = _Recorded(resolved.pack, True)
            except ServiceError as e:  # the version does not compile over the recorded chain, or is gone
                rec = _Recorded(None, True, e)
        self._packs[text] = rec
        return rec

    # ------------------------------------------------------------------ rows
    def replay_range(self, lo: int, hi: int) -> Tally:
        """Replay the job's rows with ids ``lo``..``hi``."""
        tally = Tally()
        with self.db.engine.connect() as conn:
            for rows in read_range(conn, self.spec, lo, hi):
                self._texts_bounded()
                self.replay_rows(rows, tally)
        return tally

    def _texts_bounded(self) -> None:
        for cache in self._texts:
            if len(cache) > TEXT_CACHE:
                cache.clear()

    def replay_rows(self, rows, tally: Tally) -> None:
        """Replay ``rows`` (tuples as :func:`range_statement` selects them) into ``tally``."""
        loads = jsontext.loads  # the JSON columns come as their UTF-8 bytes
        inputs, targets, histories, reasons = self._texts
        packs, units, rules = self._packs, self.spec.units, self.rules
        examples = self.spec.window.examples
        tally.read += len(rows)
        for decision_id, tenant, kind, on, outcome, input_text, target_text, history_text, pack_text, reasons_text in rows:
            target = targets.get(target_text)
            if target is None:
                target = targets[target_text] = loads(target_text)
            unit = target.get("code")
            if units is not None and unit not in units:
                continue
            before = reasons.get(reasons_text)
            if before is None:
                before = reasons[reasons_text] = tuple(r["rule"] for r in loads(reasons_text))
            rec = packs.get(pack_text) or self._recorded(pack_text, on)
            if rec.pack is None:
                if rules is not None and rules.isdisjoint(before):
                    continue
                tally.considered += 1
                if rec.error is None:
                    tally.unaffected += 1
                else:
                    _error(tally, rec.error.code, rec.error.message, decision_id)
                continue
            inp = inputs.get(input_text)
            if inp is None:
                inp = inputs[input_text] = loads(input_text)
            history = histories.get(history_text)
            if history is None:
                history = histories[history_text] = loads(history_text)
            task = inp.get("task") or {}
            try:
                # the outcome and the rules that fired are all a replay compares
                after, fired, _unknown = rec.pack.outcome(task, target, history, inp.get("source") or {}, on)
            except DecisionInputError as e:
                if rules is None or not rules.isdisjoint(before):
                    tally.considered += 1
                    _error(tally, "decision_input_invalid", e.message, decision_id)
                continue
            fired = tuple(fired)
            after_rules = rec.fired_ids.get(fired)
            if after_rules is None:
                after_rules = tuple(rec.rule_ids[i] for i in fired)
                if len(rec.fired_ids) < FIRED_SETS:
                    rec.fired_ids[fired] = after_rules
            if rules is not None and rules.isdisjoint(before) and rules.isdisjoint(after_rules):
                continue
            tally.considered += 1
            tally.replayed += 1
            month = on[:7]
            by_month = tally.by_month.get(month)
            if by_month is None:
                by_month = tally.by_month[month] = [0, 0]
            by_month[0] += 1
            by_unit = None
            if unit is not None:
                by_unit = tally.by_unit.get(unit)
                if by_unit is None:
                    by_unit = tally.by_unit[unit] = [0, 0]
                by_unit[0] += 1
            if after == outcome and after_rules == before:
                continue
            _change(tally, examples, decision_id, tenant, unit, kind, on, outcome, after, before, after_rules, task,
                    by_month, by_unit)


def _copied(conn, statement) -> Iterator[list[tuple]]:
    """``statement``'s rows through PostgreSQL's binary ``COPY … TO STDOUT`` (psycopg's copy API on
    ``conn``'s pooled driver connection), :data:`FETCH_ROWS` at a time. Its values are rendered
    into the SQL by SQLAlchemy (ids, tenant codes, dates: ``COPY`` takes no parameters)."""
    sql = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}).string
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
        copy.set_types(_COPY_TYPES)
        rows = copy.rows()
        while True:
            chunk = list(islice(rows, FETCH_ROWS))
            if not chunk:
                return
            yield chunk


def _change(tally: Tally, examples: int, decision_id: int, tenant: str, unit, kind: str, on: str, before: str,
            after: str, rules_before: tuple, rules_after: tuple, task: dict, by_month: list, by_unit) -> None:
    """Count one decision that changes (the rare path: kept out of the loop above)."""
    added = [r for r in rules_after if r not in rules_before]
    removed = [r for r in rules_before if r not in rules_after]
    change = f"{before}->{after}"
    tally.by_change[change] += 1
    if after != before:
        tally.changed += 1
        by_month[1] += 1
        if by_unit is not None:
            by_unit[1] += 1
    else:
        tally.rules_changed += 1
    for r in added:
        tally.by_rule.setdefault(r, [0, 0])[0] += 1
    for r in removed:
        tally.by_rule.setdefault(r, [0, 0])[1] += 1
    title = task.get("title") if isinstance(task.get("title"), str) else None
    tally.changes.append((decision_id, tenant, unit, kind, on, before, after, added, removed, title))
    shown = tally.examples.setdefault(change, [])
    if len(shown) < examples:  # rows come in id order within a range: the first are the lowest
        shown.append({"decision_id": decision_id, "tenant": tenant, "unit": unit, "kind": kind, "decided_on": on,
                      "task": task, "before": before, "after": after, "rules_added": added, "rules_removed": removed})


def _error(tally: Tally, code: str, message: str, decision_id: int) -> None:
    tally.errors[code] += 1
    shown = tally.error_examples.setdefault(code, [])
    if len(shown) < ERROR_EXAMPLES:
        shown.append((decision_id, message))
