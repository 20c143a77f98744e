"""Reading a file of the store without hanging or filling the memory.

Only regular files are read. A FIFO, a socket or a device named `*.md` or
`*.png` would block a plain open() or read() forever (a FIFO without a writer)
or never end (a device), so the file is opened without blocking and checked
through its descriptor: a file swapped for a FIFO after the store was walked
is caught too. A file larger than its limit is refused before it is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


class Refused(Exception):
    """The file is not read; the message is one line saying why."""


def not_regular(mode: int) -> str | None:
    """Why a file of this mode is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        kind = "a folder"
    elif stat.S_ISFIFO(mode):
        kind = "a FIFO"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "not a regular file"
    return f"{kind}, not a regular file; not read"


def read_regular(path: str | Path, limit: int, setting: str) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them. Refused (with a
    reason naming `setting`, the limit's key) when it is anything else or larger; OSError
    when it cannot be opened or read."""
    descriptor = os.open(path, _FLAGS)
    with os.fdopen(descriptor, "rb", buffering=0) as file:
        info = os.fstat(descriptor)
        reason = not_regular(info.st_mode)
        if reason is not None:
            raise Refused(reason)
        if info.st_size > limit:
            raise Refused(_too_large(limit, setting))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # a file that grows while it is read stops at the limit too
            chunk = file.read(min(limit + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if size > limit:
        raise Refused(_too_large(limit, setting))
    return b"".join(chunks)


def _too_large(limit: int, setting: str) -> str:
    return f"file is larger than {setting} ({limit:,} bytes); not read"
