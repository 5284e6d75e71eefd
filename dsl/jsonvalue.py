"""Values as JSON: what rules compute and what the runtime logs may hold Fractions, sets,
tuples or dates; :func:`jsonable` turns them into what :mod:`json` writes exactly."""
from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with every part turned into something :mod:`json` writes exactly."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=str)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)
