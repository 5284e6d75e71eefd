"""Waiting for an impact job started through the API (``POST .../packs/<n>/impact``)."""
from __future__ import annotations

import time

PACKS = "/api/v1/tenants/changsha/packs"
ADMIN = ("changsha", "admin")


def wait(api, number: int, job: dict) -> dict:
    """Poll Changsha's impact job ``job`` on version ``number`` until it ends (30 s at most)."""
    for _ in range(600):
        job = api.get(f"{PACKS}/{number}/impact/{job['id']}", ADMIN).json
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(job)
