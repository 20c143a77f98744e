"""Logging to stdout: readable lines, or one JSON object per line for log collectors.

Every request writes an access-log line, so that line skips the logging
module: through it, a line cost about 10 µs (a LogRecord, a lock, a flush),
as much as the rest of a 304's own work. The time is turned into text once per
second, not once per line.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import re
import sys
import time
from typing import TextIO
from urllib.parse import quote

from starlette.types import Scope

ACCESS_LOGGER = "syndicate.access"


_SECRET = re.compile(rb"((?:^|&)token)=[^&]*")


class _Clock:
    """UTC time as text, redone only when the second changes."""

    def __init__(self) -> None:
        self._last: tuple[int, str] = (-1, "")

    def text(self, created: float) -> str:
        second = int(created)
        last_second, last_text = self._last  # one tuple: threads never see half an update
        if second != last_second:
            last_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._last = (second, last_text)
        return f"{last_text}.{int((created - second) * 1000):03d}Z"


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._clock = _Clock()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self._clock.text(record.created)


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._clock = _Clock()

    def format(self, record: logging.LogRecord) -> str:
        time_text = self._clock.text(record.created)
        line = _json_fields(time_text, record.levelname, record.name, record.getMessage())
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _json_fields(time_text: str, level: str, logger: str, message: str) -> dict[str, str]:
    return {"time": time_text, "level": level.lower(), "logger": logger, "message": message}


class Throttle(logging.Filter):
    """One line per `interval` seconds of each kind that can come in floods: running out of
    file descriptors (an accept loop fails thousands of times a second), and lines logged
    with `extra={"throttle": True}`. The next line let through says how many were left out."""

    _OUT_OF_FILES = frozenset({errno.EMFILE, errno.ENFILE})

    def __init__(self, interval: float = 10.0) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[tuple[str, str], tuple[float, int]] = {}  # kind -> (let through at, left out)

    def filter(self, record: logging.LogRecord) -> bool:
        kind = self._kind(record)
        if kind is None:
            return True
        now = time.monotonic()
        shown, dropped = self._last.get(kind, (-self.interval, 0))
        if now - shown < self.interval:
            self._last[kind] = (shown, dropped + 1)
            return False
        self._last[kind] = (now, 0)
        if dropped:
            record.msg = (
                f"{record.getMessage()} ({dropped} more like it in the last {now - shown:.0f} s not logged)"
            )
            record.args = None
        return True

    def _kind(self, record: logging.LogRecord) -> tuple[str, str] | None:
        if getattr(record, "throttle", False):
            return (record.name, str(record.msg))
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OSError) and error.errno in self._OUT_OF_FILES:
            return (record.name, "out of file descriptors")
        if "Too many open files" in str(record.msg):
            return (record.name, "out of file descriptors")
        return None


def configure_logging(log_format: str) -> logging.StreamHandler[TextIO]:
    """Send every log line to stdout in `log_format`; the handler, for an AccessLog to share."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(Throttle())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").addFilter(_skipped_while_running)
    return handler


def _skipped_while_running(record: logging.LogRecord) -> bool:
    """APScheduler warns at every interval a rebuild outlasts ("maximum number of running
    instances reached"): the Site says it once, when the rebuild is overdue."""
    return "maximum number of running instances" not in record.getMessage()


class AccessLog:
    """One line per answered request, in the same format as every other log line.

    Lines are kept and written together at most `delay` seconds after the first
    of them (or once `batch` are waiting): one write for many requests, even
    where stdout is unbuffered (PYTHONUNBUFFERED, as in the container). They
    are written under the handler's lock, so no line is ever cut by another;
    a rebuild's line may come out before the requests of the moment before it,
    and a crash loses at most `delay` seconds of them.
    """

    def __init__(self, handler: logging.StreamHandler[TextIO], delay: float = 0.5, batch: int = 1000) -> None:
        self._handler = handler
        self._json = isinstance(handler.formatter, JsonFormatter)
        self._clock = _Clock()
        self._delay = delay
        self._batch = batch
        self._pending: list[str] = []

    def write(self, scope: Scope, status: int) -> None:
        """Log a request in uvicorn's words: `client - "GET /path?query HTTP/1.1" status`."""
        client = scope.get("client")
        target = scope.get("raw_path") or quote(scope["path"]).encode()  # as sent: no control characters
        query = scope.get("query_string")
        if query:
            target += b"?" + _SECRET.sub(b"\\1=-", query)  # /stats/?token=: never in a log
        message = '{} - "{} {} HTTP/{}" {}'.format(
            f"{client[0]}:{client[1]}" if client else "-",
            scope["method"],
            target.decode("latin-1"),
            scope["http_version"],
            status,
        )
        now = self._clock.text(time.time())
        if self._json:
            line = json.dumps(_json_fields(now, "info", ACCESS_LOGGER, message), ensure_ascii=False)
        else:
            line = f"{now} INFO {ACCESS_LOGGER}: {message}"
        self._pending.append(line + "\n")
        if len(self._pending) >= self._batch:
            self.flush()
        elif len(self._pending) == 1:
            asyncio.get_running_loop().call_later(self._delay, self.flush)

    def flush(self) -> None:
        """Write the waiting lines; called on the event loop's thread only."""
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        handler = self._handler
        handler.acquire()
        try:
            with contextlib.suppress(OSError, ValueError):  # stdout gone: nowhere to log to, keep serving
                handler.stream.write(text)
                handler.stream.flush()
        finally:
            handler.release()
