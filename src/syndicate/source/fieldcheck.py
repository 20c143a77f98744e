"""What a post's fields must be for every output to carry them.

Checked when a post is loaded, so that nothing later (feedgen's XML, a page,
the scheduler's timer, a file of `build --out`) fails on one post and takes
the whole build with it. Each check returns the reason a field is refused, or
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from syndicate.xmlchars import describe_char, unfit_char

# Every date must stay within years 1 to 9999 wherever it is shown: in UTC, in the site's
# time zone, at any offset a reader's zone may add (less than a day). So its moment in UTC
# keeps a day from both ends of what Python, APScheduler and RFC 3339 can write.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)


def shown(value: object, limit: int = 40) -> str:
    """`value` as a problem message quotes it: short, one line, never its whole text."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "…"
        return repr(text)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    try:
        return shown(str(value), limit)[1:-1]
    except ValueError:  # an integer of more digits than Python turns into text
        return "a very long number"


def unfit_value(value: Any, limit: int) -> str | None:
    """Why a front matter value is refused: a character no field may hold, in its text
    or in any key or text within it, or more than `limit` levels of lists and mappings
    (the front matter itself is the first)."""
    if not isinstance(value, _COLLECTIONS):  # most are: look no further
        char = unfit_char(value) if isinstance(value, str) else None
        return f"holds {describe_char(char)}: remove it" if char else None
    for item, depth in _walk(value, 2):
        if depth > limit and isinstance(item, _COLLECTIONS):
            return f"is nested more than {limit} levels deep (store.max_nesting)"
        if isinstance(item, str) and (char := unfit_char(item)):
            return f"holds {describe_char(char)}: remove it"
    return None


_COLLECTIONS = (dict, list, tuple, set, frozenset)


def _walk(value: Any, depth: int) -> Iterator[tuple[Any, int]]:
    """Every value within `value` and its depth, each list or mapping once (YAML's
    aliases can share one many times over, or make it hold itself), without recursion."""
    seen: set[int] = set()
    stack = [(value, depth)]
    while stack:
        item, level = stack.pop()
        yield item, level
        if isinstance(item, _COLLECTIONS):
            if id(item) in seen:
                continue
            seen.add(id(item))
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else list(item)
            stack.extend((child, level + 1) for child in children)


def out_of_range(moment: datetime) -> str | None:
    """Why a timezone-aware date cannot be written everywhere, or None."""
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        return f"is out of range: in UTC every date must fall between {EARLIEST.date()} and {LATEST.date()}"
    return None


def odd_offset(moment: datetime) -> str | None:
    """Why a date's offset cannot be written in RFC 3339 (hours and minutes), or None."""
    offset = moment.utcoffset()
    if offset is not None and offset % timedelta(minutes=1):
        return (
            f"has an offset with seconds ({_offset(offset)}), which feeds cannot write: "
            "give it in hours and minutes, such as +08:00"
        )
    return None


def in_whole_minutes(moment: datetime) -> datetime:
    """`moment`, in UTC if its offset has seconds: a zone's local mean time before it kept
    standard time (Asia/Shanghai before 1901: +08:05:43), which RFC 3339 cannot write."""
    offset = moment.utcoffset()
    return moment.astimezone(UTC) if offset is not None and offset % timedelta(minutes=1) else moment


def _offset(offset: timedelta) -> str:
    sign = "-" if offset < timedelta(0) else "+"
    total = int(abs(offset).total_seconds())
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
