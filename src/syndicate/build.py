"""The Build: every byte the site serves, as an immutable map from URL path
to a Resource. A pure function of (posts, configuration, now): the same store
gives the same bytes, ETags and dates on every machine."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

import brotli

from syndicate.config import Config
from syndicate.feeds import FEED_FILES, atom_feed, json_feed, rss_feed
from syndicate.listings import Listings, make_listings
from syndicate.pages import render_pages
from syndicate.posts import Post, Problem
from syndicate.render import Renderer
from syndicate.store import StoreResult
from syndicate.urls import ATOM_FILE, JSON_FILE, RSS_FILE, post_path

_FEED_WRITERS = {ATOM_FILE: atom_feed, RSS_FILE: rss_feed, JSON_FILE: json_feed}
_PAGE_SUFFIX = re.compile(r"page/\d+/$")
_TEXT_TYPES = {".html": "text/html", ".css": "text/css"}


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
    gzip: Variant | None  # None where compressing does not pay (images)
    br: Variant | None

    @property
    def body(self) -> bytes:
        return self.identity.body

    @property
    def etag(self) -> str:
        return self.identity.etag

    @property
    def is_feed(self) -> bool:
        return not self.media_type.startswith(("text/html", "text/css", "image/"))


@dataclass(frozen=True)
class Build:
    resources: Mapping[str, Resource]  # path -> resource, read-only
    made_at: datetime  # the `now` it was made for; never written into a resource
    published: tuple[Post, ...]  # newest first
    problems: tuple[Problem, ...]
    collisions: tuple[tuple[str, str, str], ...]  # (kind, name, slug) of names sharing a slug
    next_due: datetime | None  # when the next scheduled (future, non-draft) post is due


def make_build(
    store: StoreResult,
    config: Config,
    now: datetime,
    renderer: Renderer | None = None,
    previous: Build | None = None,
) -> Build:
    """`renderer` and `previous` only save work: they never change a byte of the result."""
    renderer = renderer or Renderer(config)
    published = [post for post in store.posts if post.is_published(now)]
    listings = make_listings(renderer.entries(published))
    reuse = previous.resources if previous else {}

    modified = _modified_dates(listings)
    raw: dict[str, tuple[bytes, str, datetime | None]] = {}
    for path, body in render_pages(listings, config).items():
        raw[path] = (body, _page_type(path), modified.get(_PAGE_SUFFIX.sub("", path)))
    for listing in listings.all():
        for name, write in _FEED_WRITERS.items():
            raw[listing.path + name] = (
                write(listing, config),
                FEED_FILES[name] + "; charset=utf-8",
                listing.updated,
            )
    for asset in store.assets:
        raw.setdefault(asset.path, (asset.data, asset.media_type, None))

    resources = {
        path: _resource(body, media_type, modified, reuse.get(path))
        for path, (body, media_type, modified) in sorted(raw.items())
    }
    due = [post.date for post in store.posts if not post.draft and post.date > now]
    return Build(
        resources=MappingProxyType(resources),
        made_at=now,
        published=tuple(published),
        problems=store.problems,
        collisions=listings.collisions,
        next_due=min(due, default=None),
    )


def _page_type(path: str) -> str:
    suffix = path[path.rfind(".") :] if "." in path.rsplit("/", 1)[-1] else ".html"
    return _TEXT_TYPES.get(suffix, "application/octet-stream") + "; charset=utf-8"


def _modified_dates(listings: Listings) -> dict[str, datetime | None]:
    """A page changes when any post it lists does: the newest update among them, by page path."""
    dates = {listing.path: listing.updated for listing in listings.all()}
    dates.update({post_path(entry.post.slug): entry.post.last_modified for entry in listings.site.entries})
    return dates


def _resource(body: bytes, media_type: str, modified: datetime | None, previous: Resource | None) -> Resource:
    identity = _variant(body)
    modified = modified.astimezone(UTC) if modified is not None else None
    if previous is not None and previous.etag == identity.etag and previous.last_modified == modified:
        return previous
    compressible = not media_type.startswith("image/") or media_type.startswith("image/svg")
    return Resource(
        media_type=media_type,
        last_modified=modified,
        identity=identity,
        gzip=_variant(gzip.compress(body, compresslevel=9, mtime=0)) if compressible else None,
        br=_variant(brotli.compress(body, quality=9)) if compressible else None,
    )


def _variant(body: bytes) -> Variant:
    return Variant(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
