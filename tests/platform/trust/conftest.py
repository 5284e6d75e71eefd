"""``repo_api``: the service on the repository's own tenants, packs and forms, for the trust tests
that need the shipped rules (the fixtures of tests/platform/standards/conftest.py, shared)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_trust_repo_fixtures",
                                               Path(__file__).parents[1] / "standards" / "conftest.py")
_standards = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_standards)

repo_database = _standards.repo_database
repo_api = _standards.repo_api
