"""The window of the log an impact job replays, and its limits (docs/api.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from jiceng.platform.errors import Invalid

MAX_UNITS = 1000        # unit codes named in one window (their subtrees are included)
MAX_RULES = 200         # rule ids named in one window
MAX_EXAMPLES = 100      # examples kept per kind of change


@dataclass(frozen=True)
class Window:
    """Decisions decided on ``date_from``..``date_to`` (inclusive, either open), at the
    ``units`` or below them, of which one of ``rules`` fired before or after (None: all)."""

    date_from: Optional[str] = None
    date_to: Optional[str] = None
    units: Optional[tuple[str, ...]] = None
    rules: Optional[tuple[str, ...]] = None
    examples: int = 10

    def to_dict(self) -> dict:
        return {"from": self.date_from, "to": self.date_to, "units": list(self.units) if self.units else None,
                "rules": list(self.rules) if self.rules else None, "examples": self.examples}

    @classmethod
    def from_dict(cls, d: dict) -> "Window":
        return window(d.get("from"), d.get("to"), d.get("units"), d.get("rules"), d.get("examples", 10))


def window(date_from=None, date_to=None, units=None, rules=None, examples: int = 10) -> Window:
    """A checked :class:`Window`; :class:`Invalid` ``impact_window_invalid`` naming each problem."""
    problems = []
    dates = [_date_text(date_from), _date_text(date_to)]
    for name, given, text in (("from", date_from, dates[0]), ("to", date_to, dates[1])):
        if given is not None and text is None:
            problems.append({"path": f"/{name}", "message": "应为日期 YYYY-MM-DD"})
    if not problems and dates[0] and dates[1] and dates[0] > dates[1]:
        problems.append({"path": "/to", "message": "结束日期早于开始日期"})
    for name, values, cap, width in (("units", units, MAX_UNITS, 32), ("rules", rules, MAX_RULES, 200)):
        if values is None:
            continue
        if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) and 0 < len(v) <= width for v in values):
            problems.append({"path": f"/{name}", "message": f"应为字符串数组(每项不超过 {width} 个字符)"})
        elif len(values) > cap:
            problems.append({"path": f"/{name}", "message": f"最多 {cap} 项"})
    if not isinstance(examples, int) or isinstance(examples, bool) or not 0 <= examples <= MAX_EXAMPLES:
        problems.append({"path": "/examples", "message": f"应为 0 到 {MAX_EXAMPLES} 的整数"})
    if problems:
        raise Invalid("impact_window_invalid", "影响评估的范围无效:" + ";".join(
            f"{p['path']} {p['message']}" for p in problems), problems)
    return Window(dates[0], dates[1], tuple(dict.fromkeys(units)) if units else None,
                  tuple(dict.fromkeys(rules)) if rules else None, examples)


def _date_text(value) -> Optional[str]:
    """``value`` as the log writes a date (``YYYY-MM-DD``), or None when it is not one."""
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None
