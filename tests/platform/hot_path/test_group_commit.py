"""The group-commit mechanism on its own: batching, waiting for one's own batch, failures kept apart.

The writer here is a plain function recording what it was given (the database side is
tested through the service in ``test_check_log.py``).
"""
from __future__ import annotations

import threading
import time

import pytest

from jiceng.platform.decisions.group_commit import GroupCommit


class Recorder:
    """Writes batches into ``committed``; the first batch waits for ``release``."""

    def __init__(self, fail_on=None, fail_batches_of=None):
        self.batches: list[list] = []
        self.committed: list = []
        self.first_started = threading.Event()
        self.release = threading.Event()
        self.fail_on = fail_on                  # an item that fails alone
        self.fail_batches_of = fail_batches_of  # batch sizes that fail as a whole

    def __call__(self, items):
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.first_started.set()
            assert self.release.wait(10)
        if self.fail_batches_of and len(items) >= self.fail_batches_of:
            raise ConnectionError("the whole batch failed")
        out = []
        for item in items:
            if item == self.fail_on:
                out.append(ValueError(f"bad item {item}"))
            else:
                self.committed.append(item)
                out.append(f"ok:{item}")
        return out


def wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def submit_all(log, items, results, errors):
    def run(item):
        try:
            results[item] = log.submit(item)
        except Exception as e:  # noqa: BLE001 - recorded for the assertions
            errors[item] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in items]
    for t in threads:
        t.start()
    return threads


def test_items_queued_behind_a_batch_are_written_together_and_each_waits_for_its_own():
    rec = Recorder()
    log = GroupCommit(rec)
    results, errors = {}, {}
    [first] = submit_all(log, [0], results, errors)
    assert rec.first_started.wait(5)
    waiting = submit_all(log, range(1, 11), results, errors)
    wait_until(lambda: len(log._queue) == 10)  # all queued behind the first batch
    assert results == {}  # nobody answered before its batch was written
    rec.release.set()
    for t in [first, *waiting]:
        t.join(10)
    assert errors == {}
    assert results == {i: f"ok:{i}" for i in range(11)}
    assert rec.batches == [[0], list(range(1, 11))]
    assert log.stats == [2, 11]


def test_max_batch_splits_the_queue():
    rec = Recorder()
    log = GroupCommit(rec, max_batch=4)
    results, errors = {}, {}
    [first] = submit_all(log, [0], results, errors)
    assert rec.first_started.wait(5)
    waiting = submit_all(log, range(1, 10), results, errors)
    wait_until(lambda: len(log._queue) == 9)
    rec.release.set()
    for t in [first, *waiting]:
        t.join(10)
    assert sorted(results) == list(range(10)) and errors == {}
    assert [len(b) for b in rec.batches] == [1, 4, 4, 1]


def test_an_item_failing_alone_fails_only_its_submitter():
    rec = Recorder(fail_on=3)
    rec.release.set()
    log = GroupCommit(rec)
    results, errors = {}, {}
    for t in submit_all(log, range(8), results, errors):
        t.join(10)
    assert set(errors) == {3} and isinstance(errors[3], ValueError)
    assert sorted(results) == [0, 1, 2, 4, 5, 6, 7]
    assert sorted(rec.committed) == [0, 1, 2, 4, 5, 6, 7]


def test_a_failed_batch_is_retried_item_by_item():
    rec = Recorder(fail_batches_of=2)
    log = GroupCommit(rec)
    results, errors = {}, {}
    [first] = submit_all(log, [0], results, errors)
    assert rec.first_started.wait(5)
    waiting = submit_all(log, range(1, 6), results, errors)
    wait_until(lambda: len(log._queue) == 5)
    rec.release.set()
    for t in [first, *waiting]:
        t.join(10)
    assert errors == {} and sorted(results) == list(range(6))
    assert sorted(rec.committed) == list(range(6))  # each once: the failed batch committed nothing
    assert [len(b) for b in rec.batches] == [1, 5, 1, 1, 1, 1, 1]


def test_a_lone_failure_is_raised_to_its_submitter_and_the_lead_is_released():
    def broken(items):
        raise ConnectionError("database down")
    log = GroupCommit(broken)
    with pytest.raises(ConnectionError):
        log.submit("x")
    assert log._leading is False and log._queue == []
