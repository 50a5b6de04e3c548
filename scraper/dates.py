"""Dates from pages and dumps, as ISO 8601: a date, or a datetime with its offset when the source has one."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from dateutil import parser as dateparser

_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_HAS_YEAR = re.compile(r"\b\d{4}\b")
_HAS_FRACTION = re.compile(r":\d{2}[.,]\d")
_DEFAULT = datetime(2000, 1, 1)


def to_iso(value: str | None, *, now: datetime | None = None) -> str | None:
    """Parse a date as pages write it ('2023-12-03T16:40:00.000Z', 'Dec 3, 2023', 'Mar 27'); None if it is not one."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 80 or not re.search(r"\d", text):
        return None
    try:
        parsed = dateparser.parse(text, default=_DEFAULT, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return _localised(text, now)
    if not _HAS_YEAR.search(text):
        parsed = _assume_recent_year(parsed, now)
    if not _HAS_TIME.search(text):
        return parsed.date().isoformat()
    timespec = "milliseconds" if _HAS_FRACTION.search(text) else "seconds"
    return parsed.isoformat(timespec=timespec)


def _localised(text: str, now: datetime | None) -> str | None:
    """Dates in other languages as Wix shows them ('31 ago 2022', '3 déc. 2023'), read by dateparser."""
    if not re.search(r"[^\W\d_]", text):
        return None
    settings = {"PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month"],
                "RELATIVE_BASE": (now or datetime.now(timezone.utc)).replace(tzinfo=None)}
    try:
        import dateparser as multilingual  # heavy (its locale data): only for dates in words of other languages

        parsed = multilingual.parse(text, settings=settings)
    except (ValueError, OverflowError, TypeError, RecursionError):
        return None
    if parsed is None:
        return None
    return parsed.isoformat(timespec="seconds") if _HAS_TIME.search(text) else parsed.date().isoformat()


def _assume_recent_year(parsed: datetime, now: datetime | None) -> datetime:
    """Wix omits the year for dates in the current year: take the latest year that is not in the future."""
    today = (now or datetime.now(timezone.utc)).date()
    candidate = parsed.replace(year=today.year)
    if candidate.date() > today:
        candidate = candidate.replace(year=today.year - 1)
    return candidate


def date_part(iso: str | None) -> date | None:
    if not iso:
        return None
    try:
        return date.fromisoformat(iso[:10])
    except ValueError:
        return None
