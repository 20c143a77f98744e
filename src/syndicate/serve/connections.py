"""How many connections the server holds open, and for how long one may say nothing.

uvicorn keeps a connection that never sends a request open for ever, and accepts new
ones until the process has no file descriptor left; from then on it cannot answer
anyone (uvloop resets every new connection; asyncio logs each failed accept, thousands
of lines a second). Here, wrapped around uvicorn's own HTTP protocol:

- a connection has `header_timeout` seconds, from its opening and from each response,
  to send a whole request's headers; else it is closed (a slow trickle does not count);
- at most `limit` are open. One more closes the connection idle longest (no request in
  flight: a client that connected and said nothing, or a keep-alive one between
  requests), or, when every other one is busy, the new one itself. A client that sends
  its request at once is the newest idle connection, so a flood of silent ones cannot
  keep it out.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("syndicate")

DEFAULT_LIMIT = 10_000  # past this, memory, not descriptors, is what a Python server runs out of
_FD_CEILING = 65_536  # how far the open-file limit is raised, within the hard limit
_MIN_SPARE = 128  # descriptors for everything but connections: caches, store, logs, hubs


class _Transport(Protocol):
    def close(self) -> None: ...
    def abort(self) -> None: ...
    def is_closing(self) -> bool: ...


@dataclass(frozen=True)
class Budget:
    """What the open-file limit allows: connections, and uvicorn's listen backlog (a
    burst is accepted whole before any connection is looked at, so it must fit in the
    descriptors spared)."""

    connections: int
    backlog: int
    open_files: int


def budget(wanted: int) -> Budget:
    """The connections `wanted` (0: as many as the open-file limit allows, at most
    DEFAULT_LIMIT), within RLIMIT_NOFILE, first raised as far as the hard limit lets it."""
    soft = _raise_open_file_limit()
    # A connection closed to make room frees its descriptor a loop turn or two later, while
    # the next bursts are accepted: the spare covers a few bursts and everything else.
    spare = max(min(_MIN_SPARE, soft // 2), soft // 4)
    room = max(1, soft - spare)
    connections = min(wanted or DEFAULT_LIMIT, room)
    if wanted > room:
        log.warning(
            "server.max_connections %d is more than the open-file limit (%d) allows: %d", wanted, soft, room
        )
    return Budget(connections, max(1, min(2048, spare // 4)), soft)


def _raise_open_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = _FD_CEILING if hard == resource.RLIM_INFINITY else min(hard, _FD_CEILING)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (OSError, ValueError):
            pass
    return _FD_CEILING if soft == resource.RLIM_INFINITY else soft


@dataclass
class Connections:
    """The open connections, the one idle longest first."""

    limit: int
    header_timeout: float
    closed: dict[str, int] = field(default_factory=lambda: {"limit": 0, "header_timeout": 0})
    _open: OrderedDict[Any, None] = field(default_factory=OrderedDict)

    @property
    def count(self) -> int:
        return len(self._open)

    def opened(self, connection: Any) -> None:
        self._open[connection] = None
        self._arm(connection)
        if len(self._open) > self.limit:
            self._make_room(connection)

    def answered(self, connection: Any) -> None:
        """A response was sent: idle again, the newest idle one."""
        if connection in self._open:
            self._open.move_to_end(connection)
            self._arm(connection)

    def lost(self, connection: Any) -> None:
        self._open.pop(connection, None)
        deadline = connection.header_deadline
        if deadline is not None:
            deadline.cancel()

    def _arm(self, connection: Any) -> None:
        if connection.header_deadline is not None:
            connection.header_deadline.cancel()
        loop = asyncio.get_running_loop()
        connection.header_deadline = loop.call_later(self.header_timeout, self._expire, connection)

    def _expire(self, connection: Any) -> None:
        connection.header_deadline = None
        if connection in self._open and not _busy(connection):
            self._close(connection, "header_timeout")

    def _make_room(self, newest: Any) -> None:
        victim = next((c for c in self._open if c is not newest and not _busy(c)), newest)
        self._close(victim, "limit")
        which = "a new one, all others being busy" if victim is newest else "the one idle longest"
        log.warning("connection limit (%d) reached: closed %s", self.limit, which, extra={"throttle": True})

    def _close(self, connection: Any, reason: str) -> None:
        self._open.pop(connection, None)
        self.closed[reason] += 1
        transport: _Transport = connection.transport
        transport.abort()  # now: its descriptor is what is short


def _busy(connection: Any) -> bool:
    """A request is in flight on it (uvicorn's protocols keep it as `cycle`)."""
    cycle = connection.cycle
    return cycle is not None and not cycle.response_complete


def guarded(base: type[asyncio.Protocol], connections: Connections) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class `base`, its connections kept in `connections`."""

    class Guarded(base):  # type: ignore[valid-type, misc]
        header_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            connections.opened(self)

        def connection_lost(self, exc: Exception | None) -> None:
            connections.lost(self)
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            connections.answered(self)

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{base.__name__}"
    return Guarded
