"""How many people read each feed, and how each reader polls: bounded, and kept across restarts.

`Audience.record` is told of every request for a feed; the read methods answer `/metrics` and
the stats page. What counts as a subscriber:

- an aggregator that reports a count (`Reader.service`): its latest count for the feed, per
  feed id it gives (Feedbin polls one URL as several of its feeds, each with its own users:
  they add up), for as long as it has polled the feed in the last `WINDOW_DAYS` days;
- any other reader: the distinct clients (`client_hash`) that polled the feed in a day, the
  largest such day of the last `WINDOW_DAYS`. Names change every day, so the days cannot be
  joined: adding them up would count a reader that polls daily seven times, and the largest
  day counts it once, leaving out only those who poll less than weekly on other days.
  A client that changes address within a day (a phone) counts twice that day;
- bots count in requests only, never as subscribers.

Days are UTC days. Memory is bounded whatever clients send: at most `MAX_FEEDS` feeds (the
caller records only paths that are feeds), `MAX_CLIENTS_PER_FEED_DAY` client names per feed and
`MAX_CLIENTS_PER_DAY` in all per day for `WINDOW_DAYS` days, `MAX_SERVICE_IDS` feed ids per
aggregator and feed, the last `MAX_INTERVALS` poll intervals per reader, `HISTORY_DAYS` days of
history, and reader names from the fixed `READER_NAMES`. What a cap turns away is counted in
`dropped`. The file holds no address, only the last `WINDOW_DAYS` days' client names.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from syndicate.serve.readers import BOT, MAX_REPORTED, READER_NAMES, SERVICE_NAMES, Reader

WINDOW_DAYS = 7  # clients and aggregator counts not seen for this long are forgotten
HISTORY_DAYS = 90  # one total per feed per day, this many days
MAX_FEEDS = 1000
MAX_FEED_PATH = 512  # characters
MAX_CLIENTS_PER_FEED_DAY = 10_000
MAX_CLIENTS_PER_DAY = 20_000  # all feeds together
MAX_SERVICE_IDS = 16  # feed ids one aggregator may report for one feed
MAX_INTERVALS = 512  # most recent poll intervals kept per reader
MAX_FILE_BYTES = 64 * 1024 * 1024  # a larger file is not read
FORMAT = "syndicate-audience"
VERSION = 1

_EPOCH = date(1970, 1, 1)
_NAMES = frozenset(READER_NAMES)


class Requests(NamedTuple):
    total: int
    conditional: int  # with If-None-Match or If-Modified-Since
    refused: int  # answered 429


@dataclass(frozen=True, slots=True)
class Behaviour:
    """A reader over the last `days` days (`WINDOW_DAYS` at most, fewer since a first start)."""

    requests_per_day: float
    conditional_share: float | None  # None without requests
    median_poll_seconds: float | None  # between two polls of one client of one feed, same day
    refused: int
    days: int


class Audience:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._today: int | None = None  # UTC days since 1970 of the newest time seen
        self._first: int | None = None
        self._feeds: dict[str, int] = {}  # feed -> last day recorded
        # day -> feed -> reader -> client name -> last poll (Unix seconds)
        self._clients: dict[int, dict[str, dict[str, dict[str, float]]]] = {}
        self._day_sizes: dict[int, int] = {}
        # feed -> reader -> feed id ("" for none) -> (count, last poll)
        self._services: dict[str, dict[str, dict[str, tuple[int, float]]]] = {}
        self._daily: dict[int, dict[str, list[int]]] = {}  # day -> reader -> [total, conditional, refused]
        self._totals: dict[str, list[int]] = {}
        self._intervals: dict[str, deque[float]] = {}
        self._history: dict[int, dict[str, int]] = {}  # day -> feed -> subscribers (past days, not 0)
        self.dropped = 0

    # Recording

    def record(
        self,
        feed: str,
        reader: Reader,
        client: str,
        conditional: bool,
        refused: bool,
        when: datetime | float,
        times: int = 1,
    ) -> None:
        """`times` requests for `feed` (a path the caller knows to be a feed) by `reader` at
        `when`, from the client named `client` (`client_hash`; unused, and may be "", for a
        service)."""
        if reader.name not in _NAMES:
            return
        seconds = when if isinstance(when, float) else _seconds(when)  # a Unix time, as the server passes it
        with self._lock:
            day = self._advance(int(seconds // 86400))
            for counts in (self._daily.setdefault(day, {}), self._totals):
                entry = counts.setdefault(reader.name, [0, 0, 0])
                entry[0] += times
                entry[1] += conditional * times
                entry[2] += refused * times
            if reader.name == BOT or (reader.service and reader.subscribers is None):
                return
            if not self._track(feed, day):
                return
            if reader.service:
                ids = self._services.setdefault(feed, {}).setdefault(reader.name, {})
                key = reader.feed_id or ""
                known = ids.get(key)
                if known is None and len(ids) >= MAX_SERVICE_IDS:
                    self.dropped += 1
                    return
                if known is not None:
                    self._interval(reader.name, seconds - known[1])
                ids[key] = (
                    min(reader.subscribers or 0, MAX_REPORTED),
                    max(seconds, known[1] if known else 0),
                )
                return
            readers = self._clients.setdefault(day, {}).setdefault(feed, {})
            seen = readers.get(reader.name)
            last = seen.get(client) if seen is not None else None
            if last is None:
                full = sum(map(len, readers.values())) >= MAX_CLIENTS_PER_FEED_DAY
                if full or self._day_sizes.get(day, 0) >= MAX_CLIENTS_PER_DAY:
                    self.dropped += 1
                    return
                self._day_sizes[day] = self._day_sizes.get(day, 0) + 1
                if seen is None:
                    seen = readers[reader.name] = {}
            else:
                self._interval(reader.name, seconds - last)
            assert seen is not None
            seen[client] = max(seconds, last or 0.0)

    def _track(self, feed: str, day: int) -> bool:
        if feed not in self._feeds and (
            len(self._feeds) >= MAX_FEEDS or len(feed) > MAX_FEED_PATH or not feed.startswith("/")
        ):
            self.dropped += 1
            return False
        self._feeds[feed] = day
        return True

    def _interval(self, reader: str, seconds: float) -> None:
        if seconds > 0:
            samples = self._intervals.get(reader)
            if samples is None:
                samples = self._intervals[reader] = deque(maxlen=MAX_INTERVALS)
            samples.append(seconds)

    def _advance(self, day: int) -> int:
        """Move to `day` if it is later, closing the days that ended; the present day."""
        if self._today is None:
            self._today = self._first = day
            return day
        if day <= self._today:
            return self._today  # a clock going back counts as today
        for ended in range(max(self._today, day - HISTORY_DAYS), day):
            totals = {feed: n for feed, n in self._totals_on(ended).items() if n}
            if totals:
                self._history[ended] = totals
        self._today = day
        oldest = day - WINDOW_DAYS + 1  # the first day still in the window
        for old in [d for d in self._clients if d < oldest]:
            del self._clients[old]
            self._day_sizes.pop(old, None)
        for old in [d for d in self._daily if d < oldest]:
            del self._daily[old]
        for feed, readers in list(self._services.items()):
            for name, ids in list(readers.items()):
                for key in [k for k, (_, last) in ids.items() if last // 86400 < oldest]:
                    del ids[key]
                if not ids:
                    del readers[name]
            if not readers:
                del self._services[feed]
        for old in [d for d in self._history if d <= day - HISTORY_DAYS]:
            del self._history[old]
        for feed in [f for f, last in self._feeds.items() if last <= day - HISTORY_DAYS]:
            del self._feeds[feed]
        return day

    # Reading

    def _subscribers_on(self, day: int) -> dict[tuple[str, str], int]:
        result: dict[tuple[str, str], int] = {}
        for feed, readers in self._services.items():
            for name, ids in readers.items():
                count = sum(n for n, last in ids.values() if day - WINDOW_DAYS < last // 86400 <= day)
                if count:
                    result[feed, name] = count
        for past in range(day - WINDOW_DAYS + 1, day + 1):
            for feed, clients in self._clients.get(past, {}).items():
                for name, seen in clients.items():
                    if len(seen) > result.get((feed, name), 0):
                        result[feed, name] = len(seen)
        return result

    def _totals_on(self, day: int) -> dict[str, int]:
        totals: dict[str, int] = {}
        for (feed, _), count in self._subscribers_on(day).items():
            totals[feed] = totals.get(feed, 0) + count
        return totals

    def _now(self, now: datetime | None) -> int | None:
        if self._today is None:
            return None
        return self._advance(int(_seconds(now or datetime.now(UTC)) // 86400))

    def subscribers(self, now: datetime | None = None) -> dict[tuple[str, str], int]:
        """(feed, reader) -> subscribers now (see the module's docstring); none at 0."""
        with self._lock:
            today = self._now(now)
            return {} if today is None else self._subscribers_on(today)

    def requests(self) -> dict[str, Requests]:
        """Reader -> its feed requests, all of them since the counts began (across restarts)."""
        with self._lock:
            return {name: Requests(*counts) for name, counts in self._totals.items()}

    def behaviour(self, now: datetime | None = None) -> dict[str, Behaviour]:
        """Reader -> how it polled over the last `WINDOW_DAYS` days, for the readers that did."""
        with self._lock:
            today = self._now(now)
            if today is None or self._first is None:
                return {}
            start = max(self._first, today - WINDOW_DAYS + 1)
            days = today - start + 1
            sums: dict[str, list[int]] = {}
            for day in range(start, today + 1):
                for name, counts in self._daily.get(day, {}).items():
                    summed = sums.setdefault(name, [0, 0, 0])
                    for i in range(3):
                        summed[i] += counts[i]
            result = {}
            for name, (total, conditional, refused) in sums.items():
                samples = self._intervals.get(name)
                result[name] = Behaviour(
                    requests_per_day=total / days,
                    conditional_share=conditional / total if total else None,
                    median_poll_seconds=statistics.median(samples) if samples else None,
                    refused=refused,
                    days=days,
                )
            return result

    def history(
        self, days: int = HISTORY_DAYS, now: datetime | None = None
    ) -> dict[str, list[tuple[date, int]]]:
        """Feed -> (day, subscribers) for each of the last `days` days (`HISTORY_DAYS` at most)
        since the counts began, oldest first, today's as it is now."""
        with self._lock:
            today = self._now(now)
            if today is None or self._first is None:
                return {}
            start = max(self._first, today - max(1, min(days, HISTORY_DAYS)) + 1)
            live = self._totals_on(today)
            feeds = set(live)
            for day in range(start, today):
                feeds.update(self._history.get(day, {}))
            result = {}
            for feed in sorted(feeds):
                result[feed] = [
                    (
                        _date(day),
                        live.get(feed, 0) if day == today else self._history.get(day, {}).get(feed, 0),
                    )
                    for day in range(start, today + 1)
                ]
            return result

    def sizes(self) -> dict[str, int]:
        """How much is held, to check against the caps."""
        with self._lock:
            return {
                "feeds": len(self._feeds),
                "clients": sum(self._day_sizes.values()),
                "clients_today": self._day_sizes.get(self._today, 0) if self._today is not None else 0,
                "services": sum(len(ids) for readers in self._services.values() for ids in readers.values()),
                "intervals": sum(map(len, self._intervals.values())),
                "history_days": len(self._history),
                "dropped": self.dropped,
            }

    # Keeping

    def save(self, path: Path, now: datetime | None = None) -> None:
        """Write to `path` at once (a temporary file, then renamed), after forgetting what is
        older than the window as of `now`."""
        with self._lock:
            self._now(now)
            data = self._snapshot()
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            with open(temporary, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def _snapshot(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "today": _iso(self._today),
            "first": _iso(self._first),
            "feeds": {feed: _date(day).isoformat() for feed, day in self._feeds.items()},
            "clients": {
                _date(day).isoformat(): {
                    feed: {name: dict(seen) for name, seen in readers.items()}
                    for feed, readers in feeds.items()
                }
                for day, feeds in self._clients.items()
            },
            "services": {
                feed: {
                    name: {key: list(value) for key, value in ids.items()} for name, ids in readers.items()
                }
                for feed, readers in self._services.items()
            },
            "daily": {
                _date(day).isoformat(): {n: list(c) for n, c in r.items()} for day, r in self._daily.items()
            },
            "totals": {name: list(counts) for name, counts in self._totals.items()},
            "intervals": {name: list(samples) for name, samples in self._intervals.items()},
            "history": {_date(day).isoformat(): dict(totals) for day, totals in self._history.items()},
            "dropped": self.dropped,
        }

    @classmethod
    def load(cls, path: Path) -> tuple[Audience, str | None]:
        """The audience saved at `path`; an empty one if there is none (no reason given) or if
        the file cannot be used, with one line saying why."""
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return cls(), f"{path}: larger than {MAX_FILE_BYTES} bytes; the reader counts start again"
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            return cls(), None
        except OSError as error:
            return cls(), f"{path}: cannot be read ({error.strerror}); the reader counts start again"
        except (ValueError, RecursionError):
            return cls(), f"{path}: not JSON; the reader counts start again"
        try:
            return _parse(data), None
        except (_Damaged, TypeError, ValueError, KeyError, OverflowError) as error:
            return (
                cls(),
                f"{path}: not a reader count file of this version ({error}); the reader counts start again",
            )


class _Damaged(ValueError):
    pass


def _seconds(when: datetime) -> float:
    return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)).timestamp()


def _date(day: int) -> date:
    return _EPOCH + timedelta(days=day)


def _iso(day: int | None) -> str | None:
    return None if day is None else _date(day).isoformat()


def _day(value: object) -> int:
    if not isinstance(value, str):
        raise _Damaged(f"a day is {type(value).__name__}")
    return (date.fromisoformat(value) - _EPOCH).days


def _mapping(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Damaged(f"{what} is not an object")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**53:
        raise _Damaged("a count is not a whole number")
    return value


def _time(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Damaged("a time is not a number")
    return float(value)


def _feed(value: str) -> str:
    if not value.startswith("/") or len(value) > MAX_FEED_PATH:
        raise _Damaged("a feed is not a path")
    return value


def _counts(value: object) -> list[int]:
    if not isinstance(value, list) or len(value) != 3:
        raise _Damaged("request counts are not three numbers")
    return [_count(n) for n in value]


def _parse(data: object) -> Audience:
    """An Audience from a saved file's JSON, its caps applied again; _Damaged if it is not one."""
    data = _mapping(data, "the file")
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise _Damaged(f"format {data.get('format')!r}, version {data.get('version')!r}")
    audience = Audience()
    if data["today"] is None:
        return audience
    audience._today, audience._first = _day(data["today"]), _day(data["first"])
    for feed, day in _mapping(data["feeds"], "feeds").items():
        if len(audience._feeds) < MAX_FEEDS:
            audience._feeds[_feed(feed)] = _day(day)
    for day_text, feeds in _mapping(data["clients"], "clients").items():
        day = _day(day_text)
        for feed, readers in _mapping(feeds, "a day's clients").items():
            if feed not in audience._feeds:
                continue
            for name, seen in _mapping(readers, "a feed's clients").items():
                if name not in _NAMES or name in SERVICE_NAMES or name == BOT:
                    continue
                for client, last in _mapping(seen, "clients").items():
                    if not isinstance(client, str) or len(client) > 64:
                        raise _Damaged("a client name is too long")
                    kept = audience._clients.setdefault(day, {}).setdefault(feed, {})
                    size = audience._day_sizes.get(day, 0)
                    if size < MAX_CLIENTS_PER_DAY and sum(map(len, kept.values())) < MAX_CLIENTS_PER_FEED_DAY:
                        kept.setdefault(name, {})[client] = _time(last)
                        audience._day_sizes[day] = size + 1
    for feed, readers in _mapping(data["services"], "services").items():
        if feed not in audience._feeds:
            continue
        for name, ids in _mapping(readers, "a feed's services").items():
            if name not in SERVICE_NAMES:
                continue
            for key, value in list(_mapping(ids, "feed ids").items())[:MAX_SERVICE_IDS]:
                if len(key) > 32 or not isinstance(value, list) or len(value) != 2:
                    raise _Damaged("a service's count is not [count, time]")
                count = min(_count(value[0]), MAX_REPORTED)
                audience._services.setdefault(feed, {}).setdefault(name, {})[key] = (count, _time(value[1]))
    for day_text, readers in _mapping(data["daily"], "daily").items():
        day = _day(day_text)
        for name, counts in _mapping(readers, "a day's requests").items():
            if name in _NAMES:
                audience._daily.setdefault(day, {})[name] = _counts(counts)
    for name, counts in _mapping(data["totals"], "totals").items():
        if name in _NAMES:
            audience._totals[name] = _counts(counts)
    for name, samples in _mapping(data["intervals"], "intervals").items():
        if name in _NAMES:
            if not isinstance(samples, list):
                raise _Damaged("intervals are not a list")
            audience._intervals[name] = deque(
                (_time(s) for s in samples[-MAX_INTERVALS:]), maxlen=MAX_INTERVALS
            )
    for day_text, totals in list(_mapping(data["history"], "history").items()):
        day = _day(day_text)
        if day > audience._today - HISTORY_DAYS:
            kept_totals = {feed: _count(n) for feed, n in _mapping(totals, "a day's history").items()}
            audience._history[day] = {f: n for f, n in kept_totals.items() if f in audience._feeds}
    audience.dropped = _count(data["dropped"])
    return audience
