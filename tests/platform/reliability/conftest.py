"""The reliability tests share :mod:`live_server` (the real server), also used by ``benchmarks/soak.py``."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # live_server, imported by the tests here
