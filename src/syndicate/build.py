"""The Build: every byte the site serves, as an immutable map from URL path
to a Resource. A pure function of (posts, configuration, now): the same store
gives the same bytes, ETags and dates on every machine."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import brotli

from syndicate.config import Config
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
        made: dict[Hashable, Resource] = {}
        resources: dict[str, Resource] = {}
        self.made = 0
        for output in outputs:
            if output.path in resources:
                continue  # the first wins: pages and feeds, then the store's files, then ours
            key = (output.key, output.last_modified, output.media_type)
            resource = self._made.get(key) or made.get(key)
            if resource is None:
                resource = _resource(output.make(), output.media_type, output.last_modified)
                self.made += 1
            made[key] = resources[output.path] = resource
        self._made = made  # forget what the store no longer has
        return MappingProxyType(dict(sorted(resources.items()))), listings.collisions


def make_build(store: StoreResult, config: Config, now: datetime) -> Build:
    """The Build of `store` at `now`: a pure function of its arguments."""
    return Builder(config).build(store, now)


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
