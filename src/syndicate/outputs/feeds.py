"""Atom, RSS 2.0 and JSON Feed 1.1 documents for one listing.

feedgen writes the XML; JSON Feed is plain json. Every date comes from the
posts, never from the clock, so the same listing always gives the same bytes.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate.config import Config
from syndicate.languages import language_key, language_name, language_tag, primary_subtag
from syndicate.outputs.listings import Listing, Listings
from syndicate.outputs.output import Kind, Output, Part, posting_interval
from syndicate.posts import Entry, Post, Problem
from syndicate.urls import (
    ATOM_FILE,
    JSON_FILE,
    RSS_FILE,
    absolute,
    category_path,
    slugify,
    tag_path,
    tag_uri,
)
from syndicate.xmlchars import strip_forbidden

FEED_FILES = {
    ATOM_FILE: "application/atom+xml",
    RSS_FILE: "application/rss+xml",
    JSON_FILE: "application/feed+json",
}

GENERATOR = "syndicate"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# What an empty feed says it was updated: fixed, so that its bytes are too.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Listings whose whole history is published as RFC 5005 archives.
ARCHIVED = ("site", "category", "language")
ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_LISTING_SUBTITLES = {
    "en": {
        "category": "Posts in the category {}",
        "tag": "Posts tagged {}",
        "author": "Posts by {}",
        "language": "Posts in {}",
    },
    "zh": {"category": "分类：{}", "tag": "标签：{}", "author": "作者：{}", "language": "语言：{}"},
}


@dataclass(frozen=True)
class _Document:
    """One feed document: the subscription feed of a listing, or one of its archives."""

    listing: Listing
    entries: tuple[Entry, ...]  # newest first
    name: str  # ATOM_FILE, RSS_FILE or JSON_FILE
    folder: str  # the listing's path, or its archive's
    links: tuple[tuple[str, str], ...] = ()  # (rel, absolute URL) besides self and alternate
    archive: bool = False  # an RFC 5005 archive document: its entries never change
    next_url: str | None = None  # JSON Feed paging: the next older document

    def full_content(self, entry: Entry, config: Config) -> bool:
        # Archives carry each entry's summary and link: the whole history in full would be
        # every post's HTML twice more (site and category) in memory and on the wire.
        return not self.archive and carries_full_content(entry.post, config)

    @property
    def path(self) -> str:
        return self.folder + self.name


def carries_full_content(post: Post, config: Config) -> bool:
    """Whether the post's entries in subscription feeds carry its HTML (else its summary)."""
    return _full_wanted(post, config) and post.size <= config.feed.full_max_bytes


def too_large_for_feeds(posts: Iterable[Post], config: Config) -> tuple[Problem, ...]:
    """A warning for each post that feeds would carry in full but for its size."""
    limit = config.feed.full_max_bytes
    return tuple(
        Problem(
            post.source,
            1,
            f"file of {post.size:,} bytes, more than feed.full_max_bytes ({limit:,}):"
            " feeds carry its summary, not its text",
            "warning",
        )
        for post in posts
        if post.size > limit and post.in_feeds and _full_wanted(post, config)
    )


def _full_wanted(post: Post, config: Config) -> bool:
    return (post.feed_content or config.feed.content) == "full"


def feed_outputs(listings: Listings, config: Config) -> list[Output]:
    """Every feed document of every listing, each made only when asked."""
    return [output for listing in listings.all() for output in listing_feed_outputs(listing, config)]


def listing_feed_outputs(listing: Listing, config: Config) -> list[Output]:
    """The listing's subscription feeds and archives, each made only when asked."""
    return [output for part in listing_feed_parts(listing, config) for output in part.outputs()]


def listing_feed_parts(listing: Listing, config: Config) -> list[Part]:
    """The subscription feeds (the newest `feed.limit` entries) as one part and, for the
    site and each category, each RFC 5005 archive as a part: fixed sets of `feed.limit`
    posts counted from the oldest, so an archive's URL and content never change as new
    posts arrive."""
    size = config.feed.limit
    complete = _archive_count(listing, config)
    newest = _newest(listing, config)
    oldest_first = listing.fed[::-1] if complete else ()
    listing = listing.named()
    subscriptions = partial(_subscription_documents, listing, newest, complete, config)
    parts = [Part("feeds", (listing.name, complete, newest), partial(_outputs, subscriptions))]
    for number in range(1, complete + 1):
        entries = oldest_first[(number - 1) * size : number * size][::-1]
        archive = partial(_archive_documents, listing, entries, number, complete, config)
        inputs = (listing.name, number < complete, entries)
        parts.append(Part(f"archive {number}", inputs, partial(_outputs, archive)))
    return parts


def _outputs(documents: Callable[[], list[_Document]]) -> list[Output]:
    outputs = []
    for document in documents():
        updated = max((entry.post.last_modified for entry in document.entries), default=EPOCH)
        media_type = FEED_FILES[document.name] + "; charset=utf-8"
        kind: Kind = "archive" if document.archive else "feed"
        interval = (
            None if document.archive else posting_interval([entry.post.date for entry in document.entries])
        )
        writer = _WRITERS[document.name]
        deferred = not document.archive  # the archives hardly ever change
        outputs.append(
            Output(kind, document.path, media_type, updated, writer, (document,), False, deferred, interval)
        )
    return outputs


def archive_folder(listing: Listing, number: int) -> str:
    return f"{listing.path}archive/{number}/"


def _subscription_documents(
    listing: Listing, newest: tuple[Entry, ...], complete: int, config: Config
) -> list[_Document]:
    """Atom, RSS and JSON of the newest entries; `complete`: how many archives there are."""
    hubs = _hubs(config)
    older = _archive_url(listing, complete, ATOM_FILE, config) if complete else None
    older_json = _archive_url(listing, complete, JSON_FILE, config) if complete else None
    atom_links = hubs + ((("prev-archive", older),) if older else ())
    return [
        _Document(listing, newest, ATOM_FILE, listing.path, atom_links),
        _Document(listing, newest, RSS_FILE, listing.path, hubs),
        _Document(listing, newest, JSON_FILE, listing.path, hubs, next_url=older_json),
    ]


def _archive_documents(
    listing: Listing, entries: tuple[Entry, ...], number: int, complete: int, config: Config
) -> list[_Document]:
    """Archive `number` (from 1, the oldest) in Atom and JSON."""
    links = [("current", absolute(config.site.base_url, listing.path + ATOM_FILE))]
    if number > 1:
        links.append(("prev-archive", _archive_url(listing, number - 1, ATOM_FILE, config)))
    if number < complete:
        links.append(("next-archive", _archive_url(listing, number + 1, ATOM_FILE, config)))
    folder = archive_folder(listing, number)
    older = _archive_url(listing, number - 1, JSON_FILE, config) if number > 1 else None
    return [
        _Document(listing, entries, ATOM_FILE, folder, tuple(links), archive=True),
        _Document(listing, entries, JSON_FILE, folder, archive=True, next_url=older),
    ]


def _archive_count(listing: Listing, config: Config) -> int:
    """How many archives the listing has: each a full `feed.limit` entries."""
    return len(listing.fed) // config.feed.limit if listing.kind in ARCHIVED else 0


def _archive_url(listing: Listing, number: int, name: str, config: Config) -> str:
    return absolute(config.site.base_url, archive_folder(listing, number) + name)


def _hubs(config: Config) -> tuple[tuple[str, str], ...]:
    return tuple(("hub", hub) for hub in config.feed.websub_hubs)


def feed_title(listing: Listing, config: Config) -> str:
    if listing.kind == "site":
        return config.site.title
    return f"{config.site.title} · {listing.name}"


def atom_feed(listing: Listing, config: Config) -> bytes:
    """The listing's subscription feed in Atom."""
    return _atom(_subscription(listing, ATOM_FILE, config), config)


def rss_feed(listing: Listing, config: Config) -> bytes:
    return _rss(_subscription(listing, RSS_FILE, config), config)


def json_feed(listing: Listing, config: Config) -> bytes:
    return _json(_subscription(listing, JSON_FILE, config), config)


def _subscription(listing: Listing, name: str, config: Config) -> _Document:
    documents = _subscription_documents(
        listing, _newest(listing, config), _archive_count(listing, config), config
    )
    return next(document for document in documents if document.name == name)


def _atom(document: _Document, config: Config) -> bytes:
    data: bytes = _generator(document, config).atom_str(pretty=True)
    return data


def _rss(document: _Document, config: Config) -> bytes:
    data: bytes = _generator(document, config).rss_str(pretty=True)
    # The same characters by number: validators warn of `&lt;` or `&amp;` in RSS's plain
    # text elements (the title above all), and take a line with `&#x` for deliberate.
    return data.replace(b"&lt;", b"&#x3C;").replace(b"&gt;", b"&#x3E;").replace(b"&amp;", b"&#x26;")


def _json(document: _Document, config: Config) -> bytes:
    base = config.site.base_url
    listing = document.listing
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _clean(feed_title(listing, config)),
        "home_page_url": absolute(base, listing.path),
        "feed_url": absolute(base, document.path),
    }
    if document.next_url:
        feed["next_url"] = document.next_url
    subtitle = _subtitle(listing, config)
    if subtitle:
        feed["description"] = subtitle
    if config.feed.icon:
        # Atom's icon is the square one; JSON Feed has a large and a small square.
        feed["icon"] = feed["favicon"] = _asset_url(config, config.feed.icon)
    feed["language"] = _clean(config.site.language)
    feed["authors"] = [{"name": _clean(config.site.author)}]
    hubs = [{"type": "WebSub", "url": href} for rel, href in document.links if rel == "hub"]
    if hubs:
        feed["hubs"] = hubs
    feed["items"] = [
        _json_item(entry, config, document.full_content(entry, config)) for entry in document.entries
    ]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


_WRITERS: dict[str, Callable[[_Document, Config], bytes]] = {
    ATOM_FILE: _atom,
    RSS_FILE: _rss,
    JSON_FILE: _json,
}


def _generator(document: _Document, config: Config) -> Any:
    site = config.site
    listing = document.listing
    entries = document.entries
    updated = max((entry.post.last_modified for entry in entries), default=EPOCH)

    rss = document.name == RSS_FILE
    # RSS readers take every <description> as HTML, so plain text is escaped once more.
    description = _escape if rss else _clean

    fg = FeedGenerator()
    # Only RSS needs dc:creator (its own <author> must be an email address).
    fg.load_extension("dc", atom=False, rss=True)
    fg.load_extension("media")
    fg.register_extension("history", _HistoryExtension, _EntryHistoryExtension, atom=True, rss=True)
    fg.history.archive = document.archive
    fg.id(tag_uri(site.id_authority, "feed" + document.folder))
    title = _clean(feed_title(listing, config))
    fg.title(title)
    subtitle = _subtitle(listing, config)
    if subtitle:
        fg.subtitle(description(subtitle))
    elif rss:
        fg.description(_escape(title))  # required in RSS
    fg.author(name=_clean(site.author))
    fg.dc.dc_creator(_clean(site.author))
    fg.language(_clean(site.language))
    fg.generator(GENERATOR)
    # feedgen defaults these to the current time; they must come from the posts.
    fg.updated(updated)
    fg.pubDate(updated)
    # RSS's channel <link> is whichever link was added last, so the page goes last.
    fg.link(href=absolute(site.base_url, document.path), rel="self", type=FEED_FILES[document.name])
    if rss:
        fg.history.rss_links = document.links
    else:
        for rel, href in document.links:
            fg.link(href=href, rel=rel)
    fg.link(href=absolute(site.base_url, listing.path), rel="alternate", type="text/html")
    if config.feed.icon:
        fg.icon(_asset_url(config, config.feed.icon))
    if config.feed.logo:
        fg.logo(_asset_url(config, config.feed.logo))

    written: dict[str, int] = {}  # how many entries so far are updated at each instant
    for entry in entries:
        fe = _add_entry(fg, entry, config, description(entry.excerpt), document.full_content(entry, config))
        instant = entry.post.last_modified.isoformat()
        fe.history.zeros = written.get(instant, 0)
        written[instant] = fe.history.zeros + 1
        fe.history.lang = _entry_language(entry.post, fg.language())
    return fg


class _HistoryExtension(BaseExtension):  # type: ignore[misc]
    """What feedgen cannot write itself: RFC 5005's fh:archive marker, and in RSS the
    atom:link elements for WebSub hubs (feedgen's RSS keeps only its self link)."""

    archive = False
    rss_links: tuple[tuple[str, str], ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS}

    def extend_atom(self, feed: Any) -> Any:
        if self.archive:
            etree.SubElement(feed, f"{{{HISTORY_NS}}}archive")
        return feed

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        for rel, href in self.rss_links:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=href, rel=rel)
        return feed


_RFC3339 = re.compile(r"(.+T\d\d:\d\d:\d\d)(\.\d+)?(.*)")


class _EntryHistoryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Posts that share a date are written with as many more zeros of a second as earlier
    entries of the feed have that date already: the same instant, in a form validators do
    not take for a duplicate (they compare the text of atom:updated). Also the entry's
    xml:lang, which feedgen has no setting for."""

    zeros = 0
    lang: str | None = None

    def extend_atom(self, entry: Any) -> Any:
        updated = entry.find("updated")  # feedgen makes entries outside any namespace
        if self.zeros and updated is not None:
            whole, fraction, offset = _RFC3339.fullmatch(updated.text).groups()  # type: ignore[union-attr]
            updated.text = whole + (fraction or ".") + "0" * self.zeros + offset
        if self.lang is not None:
            entry.set(XML_LANG, self.lang)
        return entry


def _entry_language(post: Post, feed_language: str | None) -> str | None:
    """The post's language as an Atom entry's xml:lang: only where it is not the feed's,
    which the entry inherits, and only where `lang` is a language tag at all."""
    tag = language_tag(post.lang)
    if tag is None or language_key(tag) == language_key(feed_language or ""):
        return None
    return _clean(tag)


def _add_entry(fg: Any, entry: Entry, config: Config, summary: str, full_content: bool) -> Any:
    post = entry.post
    fe = fg.add_entry(order="append")  # the default, "prepend", would reverse the listing
    fe.id(tag_uri(config.site.id_authority, post.id))  # also the RSS guid, isPermaLink="false"
    fe.title(_clean(post.title))
    fe.link(href=entry.url, rel="alternate", type="text/html")
    fe.published(post.date)
    fe.updated(post.last_modified)
    author = _clean(post.author)
    if author:
        fe.author(name=author)
        fe.dc.dc_creator(author)
    categories = _categories(post, config)
    if categories:
        # In one call: feedgen remakes the entry's whole RSS list on each, which made a
        # post with n tags cost n² per feed it is in (n³ in all).
        fe.category([dict(category) for category in categories])
    if entry.image:
        # Not in a media:group: a group is for alternatives, and there is one image.
        fe.media.content({"url": entry.image, "medium": "image"}, group=None)
        fe.media.thumbnail({"url": entry.image}, group=None)
    # An entry of a post with no text (an image alone) is not left blank.
    fe.summary(summary or _clean(post.title), type="text")  # also the RSS <description>
    content = _content(entry) if full_content else ""
    if content:
        fe.content(content, type="html")  # also the RSS <content:encoded>
    return fe


def _json_item(entry: Entry, config: Config, full_content: bool) -> dict[str, Any]:
    post = entry.post
    item: dict[str, Any] = {
        "id": tag_uri(config.site.id_authority, post.id),
        "url": entry.url,
        "title": _clean(post.title),
    }
    excerpt = _clean(entry.excerpt)
    if full_content:
        item["content_html"] = _content(entry)
    else:
        item["content_text"] = excerpt  # an item needs content_html or content_text
    item["summary"] = excerpt
    if entry.image:
        item["image"] = entry.image
    item["date_published"] = post.date.isoformat()
    item["date_modified"] = post.last_modified.isoformat()
    author = _clean(post.author)
    if author:
        item["authors"] = [{"name": author}]
    item["tags"] = list(dict.fromkeys(category["term"] for category in _categories(post, config)))
    tag = language_tag(post.lang)
    if tag is not None:
        item["language"] = _clean(tag)
    return item


def _newest(listing: Listing, config: Config) -> tuple[Entry, ...]:
    # The first few that go into feeds, without going through every entry of a large listing.
    return tuple(islice((entry for entry in listing.entries if entry.post.in_feeds), config.feed.limit))


def _subtitle(listing: Listing, config: Config) -> str:
    if listing.kind == "site":
        return _clean(config.site.subtitle)
    language = primary_subtag(config.site.language)
    template = _LISTING_SUBTITLES.get(language, _LISTING_SUBTITLES["en"])[listing.kind]
    name = language_name(listing.name) if listing.kind == "language" else listing.name
    return _clean(template.format(name))


def _categories(post: Post, config: Config) -> tuple[dict[str, str], ...]:
    """Atom categories for the post's category and each tag; the scheme is that listing's
    page. The same for every feed the post is in (one per tag, at least): made once."""
    return _categories_of(post.category, post.tags, config.site.base_url)


@lru_cache(maxsize=4096)
def _categories_of(category: str | None, tags: tuple[str, ...], base_url: str) -> tuple[dict[str, str], ...]:
    named = [(category, category_path)] if category else []
    named += [(tag, tag_path) for tag in tags]
    categories = []
    for name, path in named:
        term = _clean(name)
        if not term:
            continue
        made = {"term": term, "label": term}
        if slugify(name):
            made["scheme"] = absolute(base_url, path(slugify(name)))
        categories.append(made)
    return tuple(categories)


def _asset_url(config: Config, url: str) -> str:
    return url if urlsplit(url).scheme else absolute(config.site.base_url, url)


# A listing's Atom, RSS and JSON feeds are made one after the other, and a new post is in
# several listings: its HTML is read from the disk cache once for all of them. Kept by the
# post's version, not by its Entry, which must not outlive the Builds that show it.
_CONTENTS_KEPT = 64
_contents: OrderedDict[tuple[str, str, str], str] = OrderedDict()
_contents_lock = threading.Lock()


def _content(entry: Entry) -> str:
    key = (*entry.post.version, entry.url)
    with _contents_lock:
        content = _contents.get(key)
        if content is not None:
            _contents.move_to_end(key)
            return content
    content = _clean(entry.html)
    with _contents_lock:
        _contents[key] = content
        if len(_contents) > _CONTENTS_KEPT:
            _contents.popitem(last=False)
    return content


def _clean(text: str) -> str:
    """Texts are cleaned on the way in already; this keeps lxml from ever raising on one."""
    return strip_forbidden(text)


def _escape(text: str) -> str:
    return html.escape(_clean(text), quote=False)
