"""The Build: every byte the site serves, as an immutable map from URL path
to a Resource. A pure function of (posts, configuration, now): the same store
gives the same bytes, ETags and dates on every machine."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from importlib import metadata, resources
from pathlib import Path
from types import MappingProxyType

import brotli

from syndicate.config import Config
from syndicate.diskcache import DiskCache
from syndicate.feeds import feed_outputs
from syndicate.indexes import index_outputs
from syndicate.listings import Collision, make_listings
from syndicate.output import Output
from syndicate.pages import page_outputs, static_outputs
from syndicate.posts import Post, Problem
from syndicate.render import Renderer
from syndicate.store import Asset, StoreResult


@dataclass(frozen=True)
class Variant:
    """One encoding of a resource's body, with its own strong ETag."""

    body: bytes
    etag: str


@dataclass(frozen=True)
class Resource:
    media_type: str  # the full Content-Type, charset included where it applies
    last_modified: datetime | None  # UTC
    identity: Variant
    compressible: bool  # not for images that are compressed already

    @property
    def body(self) -> bytes:
        return self.identity.body

    @property
    def etag(self) -> str:
        return self.identity.etag

    @property
    def is_feed(self) -> bool:
        return not self.media_type.startswith(("text/html", "text/css", "image/"))

    # Compressed on first use, then kept: once per resource version, which a rebuild that
    # leaves it unchanged reuses, never once per request. Most pages of a large site are
    # rarely asked for, so compressing them all at build time would cost time and memory.
    # Each encoding's strong ETag is the identity's plus a suffix, so answering a
    # conditional request needs no compression at all.

    @cached_property
    def gzip(self) -> Variant | None:
        if not self.compressible:
            return None
        return Variant(gzip.compress(self.body, compresslevel=6, mtime=0), self.etag_of("gzip"))

    @cached_property
    def br(self) -> Variant | None:
        if not self.compressible:
            return None
        return Variant(brotli.compress(self.body, quality=5), self.etag_of("br"))

    def etag_of(self, encoding: str) -> str:
        """The strong ETag of the body in `encoding` ("identity", "gzip" or "br")."""
        return self.etag if encoding == "identity" else self.etag[:-1] + _ETAG_SUFFIXES[encoding] + '"'


_ETAG_SUFFIXES = {"gzip": "-gz", "br": "-br"}


@dataclass(frozen=True)
class Build:
    resources: Mapping[str, Resource]  # path -> resource, read-only
    made_at: datetime  # the `now` it was made for; never written into a resource
    published: tuple[Post, ...]  # newest first
    problems: tuple[Problem, ...]
    collisions: tuple[Collision, ...]  # names that share a slug, merged into one listing
    next_due: datetime | None  # when the next scheduled (future, non-draft) post is due


_Inputs = tuple[tuple[Post, ...], tuple[Asset, ...]]


class Builder:
    """Makes Builds, remembering what it rendered and made so that the next Build only
    makes what changed. It never changes a byte of the result: a new Builder gives the same."""

    def __init__(self, config: Config, cache_dir: Path | None = None) -> None:
        self.config = config
        self.renderer = Renderer(config, cache_dir)
        # What earlier processes made, so a restart makes nothing that did not change.
        self._disk = DiskCache(cache_dir, "outputs") if cache_dir is not None else None
        self._fingerprint = _code_fingerprint() + repr(config)
        self._made: dict[Hashable, Resource] = {}
        self.made = 0  # resources the last build had to make (the rest were reused)
        # The published posts and images the last resources were made from, and those resources.
        self._last: tuple[_Inputs, Mapping[str, Resource], tuple[Collision, ...]] | None = None

    def build(self, store: StoreResult, now: datetime) -> Build:
        published = tuple(post for post in store.posts if post.is_published(now))
        inputs = (published, store.assets)
        if self._last is None or self._last[0] != inputs:  # else only problems or next_due changed
            self._last = (inputs, *self._make(published, store))
        else:
            self.made = 0
        _, resources, collisions = self._last
        problems = list(store.problems)
        for asset in store.assets:
            if resources[asset.path].body != asset.data:
                hidden = "not served: a page or feed has the same path"
                problems.append(Problem(asset.path[1:], 1, hidden, "warning"))
        due = [post.date for post in store.posts if not post.draft and post.date > now]
        return Build(
            resources=resources,
            made_at=now,
            published=published,
            problems=tuple(problems),
            collisions=collisions,
            next_due=min(due, default=None),
        )

    def _make(
        self, published: tuple[Post, ...], store: StoreResult
    ) -> tuple[Mapping[str, Resource], tuple[Collision, ...]]:
        listings = make_listings(self.renderer.entries(list(published)))
        pages = page_outputs(listings, self.config)
        outputs = [
            *pages,
            *feed_outputs(listings, self.config),
            *index_outputs(listings, pages, self.config),
            *(_asset_output(asset) for asset in store.assets),
            *static_outputs(),  # after the store's files, so a favicon.svg of the store wins
        ]
        keys: dict[str, Hashable] = {}  # path -> what its resource is made from
        wanted: dict[Hashable, Output] = {}  # what no earlier build of this process made
        for output in outputs:
            if output.path in keys:
                continue  # the first wins: pages and feeds, then the store's files, then ours
            key = keys[output.path] = (output.key, output.last_modified, output.media_type)
            if key not in self._made:
                wanted.setdefault(key, output)
        made = {key: self._made[key] for key in keys.values() if key in self._made}
        made.update(self._make_wanted(wanted, everything=not made))
        self._made = made  # forget what the store no longer has
        resources = {path: made[key] for path, key in sorted(keys.items())}
        return MappingProxyType(resources), listings.collisions

    def _make_wanted(self, wanted: dict[Hashable, Output], everything: bool) -> dict[Hashable, Resource]:
        """Resources for outputs no earlier build of this process made: from the disk cache
        where an earlier process made them, else made now (and kept on disk)."""
        self.made = len(wanted)
        if self._disk is None:
            return {
                key: _resource(output.make(), output.media_type, output.last_modified)
                for key, output in wanted.items()
            }
        names = {key: hashlib.sha256(f"{self._fingerprint}|{key!r}".encode()).hexdigest() for key in wanted}
        found = self._disk.get_many(names.values())
        made: dict[str, bytes] = {}
        resources = {}
        for key, output in wanted.items():
            body = found.get(names[key])
            if body is None:
                body = made[names[key]] = output.make()
            resources[key] = _resource(body, output.media_type, output.last_modified)
        self.made = len(made)
        self._disk.put_many(made)
        if everything:  # the whole site's names: what the cache holds beyond them is stale
            self._disk.keep_only(set(names.values()))
        return resources


def make_build(store: StoreResult, config: Config, now: datetime) -> Build:
    """The Build of `store` at `now`: a pure function of its arguments."""
    return Builder(config).build(store, now)


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """A hash of syndicate's own code, templates and stylesheet, and of the libraries that
    write its outputs: a cached output is reused only by the code that made it."""
    digest = hashlib.sha256()
    package = resources.files("syndicate")
    for folder in (package, package / "templates", package / "static"):
        for item in sorted(folder.iterdir(), key=lambda item: item.name):
            if item.is_file() and not item.name.endswith(".pyc"):
                digest.update(item.name.encode() + b"\0" + item.read_bytes())
    for name in ("feedgen", "jinja2", "markdown", "pymdown-extensions", "nh3", "lxml"):
        digest.update(f"{name}={metadata.version(name)}".encode())
    return digest.hexdigest()


def _asset_output(asset: Asset) -> Output:
    return Output(asset.path, asset.media_type, None, ("asset", asset.data), lambda: asset.data)


def _resource(body: bytes, media_type: str, modified: datetime | None) -> Resource:
    return Resource(
        media_type=media_type,
        last_modified=modified.astimezone(UTC) if modified is not None else None,
        identity=_variant(body),
        compressible=not media_type.startswith("image/") or media_type.startswith("image/svg"),
    )


def _variant(body: bytes) -> Variant:
    return Variant(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
