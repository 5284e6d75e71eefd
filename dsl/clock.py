"""The date a decision is made on: the calendar day in China (UTC+08:00, 北京时间).

The rules are China's: a pack ``effective 2027-01-01`` is in force from midnight in Beijing, a
yearly cap counts the assessments of Beijing's calendar year, a notice is dated as its reader
dates it. The machine the service runs on often keeps UTC (a container's default), where
``date.today()`` is still yesterday from 00:00 to 08:00 Beijing time: a new year's rules would
have come into force at 08:00 and the first checks of the year counted into the old one.
Everything that means "today" asks :func:`today` instead.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

#: China Standard Time, the same all year (no daylight saving since 1991)
CHINA = timezone(timedelta(hours=8), "UTC+08:00")


def now() -> datetime:
    """The current time in China, time zone attached."""
    return datetime.now(CHINA)


def today() -> date:
    """Today's date in China, whatever the time zone of this machine."""
    return now().date()


def in_china(moment: "str | datetime") -> datetime:
    """A stored moment (ISO text or datetime; one without a zone was stored in UTC) as China's
    time, for people to read."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA)


def china_time(moment: "str | datetime | None", seconds: bool = False) -> str:
    """``in_china(moment)`` as ``YYYY-MM-DD HH:MM`` (``:SS`` with ``seconds``); "" for none ("" or None)."""
    if not moment:
        return ""
    return in_china(moment).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
