"""One file of a Build: its bytes, type and strong ETags, in every encoding.

A large site's bytes do not all fit in memory: with a disk cache, a Resource holds
only the name its bytes are kept under, and reads them back when asked; some are not
made at all until asked for (OnDemand). What was
asked for lately is kept in memory, up to a fixed size, in one place for every
Resource: a busy server answers its hot files without reading the disk.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import brotli

from syndicate.caching.diskcache import DiskCache
from syndicate.outputs.output import Kind

ENCODINGS = ("identity", "gzip", "br")
_ETAG_SUFFIXES = {"identity": "", "gzip": "-gz", "br": "-br"}


class RecentBytes:
    """The values used most recently, up to `budget` bytes in all; thread-safe."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._size = 0
        self._values: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> bytes | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: tuple[str, str], value: bytes) -> None:
        if len(value) > self.budget // 4:
            return  # one huge file must not push out everything else
        with self._lock:
            old = self._values.pop(key, None)
            self._size += len(value) - (len(old) if old is not None else 0)
            self._values[key] = value
            while self._size > self.budget:
                _, dropped = self._values.popitem(last=False)
                self._size -= len(dropped)


# Every Resource's recently used bodies: identity ones read from disk, and compressed
# ones of every Resource. Keyed by ETag, so equal bytes are kept once.
RECENT = RecentBytes(64 * 1024 * 1024)


@dataclass(frozen=True)
class Stored:
    """Bytes kept in a disk cache under `name`; made again by `make` if the cache lost them."""

    cache: DiskCache
    name: str
    make: Callable[[], bytes]

    def read(self) -> bytes:
        body = self.cache.get(self.name)
        return body if body is not None else self.make()


@dataclass(frozen=True)
class OnDemand:
    """Bytes made when first read, then kept among the recently used ones (RECENT)."""

    make: Callable[[], bytes]

    def read(self) -> bytes:
        return self.make()


@dataclass(frozen=True, eq=False)
class Resource:
    kind: Kind  # what it is (see syndicate.outputs.output): how it is cached, listed, counted
    media_type: str  # the full Content-Type, charset included where it applies
    etag: str  # strong, of the identity body, or of everything it is made from (OnDemand)
    compressible: bool  # not for images that are compressed already
    content: bytes | Stored | OnDemand
    posting_interval: float | None = None  # a feed's (see Output.posting_interval): its max-age follows it

    @property
    def body(self) -> bytes:
        """The bytes themselves (identity encoding)."""
        content = self.content
        if isinstance(content, bytes):
            return content
        body = RECENT.get((self.etag, "identity"))
        if body is None:
            body = content.read()
            RECENT.put((self.etag, "identity"), body)
        return body

    def encoded(self, encoding: str) -> bytes:
        """The body in `encoding` ("identity", "gzip" or "br"; the latter two only if
        compressible). Compressed on first use and kept while used, never per request:
        most pages of a large site are rarely asked for, so compressing them all at build
        time would cost time and memory."""
        if encoding == "identity":
            return self.body
        key = (self.etag, encoding)
        body = RECENT.get(key)
        if body is None:
            identity = self.body
            if encoding == "gzip":
                body = gzip.compress(identity, compresslevel=6, mtime=0)
            elif encoding == "br":
                body = brotli.compress(identity, quality=5)
            else:
                raise ValueError(f"unknown encoding {encoding!r}")
            RECENT.put(key, body)
        return body

    def etag_of(self, encoding: str) -> str:
        """The strong ETag of the body in `encoding`: the identity's with a suffix, so
        answering a conditional request needs no compression at all."""
        suffix = _ETAG_SUFFIXES[encoding]
        return self.etag[:-1] + suffix + '"' if suffix else self.etag


def etag_of(body: bytes) -> str:
    """The strong ETag of `body`: the same bytes give the same tag on every machine."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def make_resource(
    body: bytes, kind: Kind, media_type: str, posting_interval: float | None = None
) -> Resource:
    """A Resource whose bytes are held in memory."""
    return stored_resource(body, etag_of(body), kind, media_type, posting_interval)


def stored_resource(
    content: bytes | Stored | OnDemand,
    etag: str,
    kind: Kind,
    media_type: str,
    posting_interval: float | None = None,
) -> Resource:
    """A Resource of `content` whose ETag is known already."""
    return Resource(
        kind=kind,
        media_type=media_type,
        etag=etag,
        compressible=not media_type.startswith("image/") or media_type.startswith("image/svg"),
        content=content,
        posting_interval=posting_interval,
    )
