"""The log-integrity tests share :mod:`log_tampering` (what an attacker with the database's password does)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # log_tampering, imported by the tests here
