"""Atom, RSS 2.0 and JSON Feed 1.1 documents for one listing.

feedgen writes the XML; JSON Feed is plain json. Every date comes from the
posts, never from the clock, so the same listing always gives the same bytes.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator

from syndicate.config import Config
from syndicate.listings import Listing, Listings
from syndicate.output import Output, entry_key
from syndicate.posts import Entry, Post
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

_LISTING_SUBTITLES = {
    "en": {"category": "Posts in the category {}", "tag": "Posts tagged {}", "author": "Posts by {}"},
    "zh": {"category": "分类：{}", "tag": "标签：{}", "author": "作者：{}"},
}


def feed_outputs(listings: Listings, config: Config) -> list[Output]:
    """Atom, RSS and JSON Feed for every listing, each made only when asked."""
    writers = {ATOM_FILE: atom_feed, RSS_FILE: rss_feed, JSON_FILE: json_feed}
    outputs = []
    for listing in listings.all():
        newest = _newest(listing, config)
        updated = max((entry.post.last_modified for entry in newest), default=EPOCH)
        entries = tuple(map(entry_key, newest))
        for name, write in writers.items():
            key = (name, listing.kind, listing.path, listing.name, entries)
            media_type = FEED_FILES[name] + "; charset=utf-8"
            make = partial(write, listing, config)
            outputs.append(Output(listing.path + name, media_type, updated, key, make))
    return outputs


def feed_title(listing: Listing, config: Config) -> str:
    if listing.kind == "site":
        return config.site.title
    return f"{config.site.title} · {listing.name}"


def atom_feed(listing: Listing, config: Config) -> bytes:
    data: bytes = _generator(listing, config, ATOM_FILE).atom_str(pretty=True)
    return data


def rss_feed(listing: Listing, config: Config) -> bytes:
    data: bytes = _generator(listing, config, RSS_FILE).rss_str(pretty=True)
    return data


def json_feed(listing: Listing, config: Config) -> bytes:
    base = config.site.base_url
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _clean(feed_title(listing, config)),
        "home_page_url": absolute(base, listing.path),
        "feed_url": absolute(base, listing.path + JSON_FILE),
    }
    subtitle = _subtitle(listing, config)
    if subtitle:
        feed["description"] = subtitle
    if config.feed.icon:
        # Atom's icon is the square one; JSON Feed has a large and a small square.
        feed["icon"] = feed["favicon"] = _asset_url(config, config.feed.icon)
    feed["language"] = _clean(config.site.language)
    feed["authors"] = [{"name": _clean(config.site.author)}]
    feed["items"] = [_json_item(entry, config) for entry in _newest(listing, config)]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _generator(listing: Listing, config: Config, filename: str) -> Any:
    site = config.site
    entries = _newest(listing, config)
    updated = max((entry.post.last_modified for entry in entries), default=EPOCH)

    rss = filename == RSS_FILE
    # RSS readers take every <description> as HTML, so plain text is escaped once more.
    description = _escape if rss else _clean

    fg = FeedGenerator()
    # Only RSS needs dc:creator (its own <author> must be an email address).
    fg.load_extension("dc", atom=False, rss=True)
    fg.load_extension("media")
    fg.id(tag_uri(site.id_authority, "feed" + listing.path))
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
    fg.link(href=absolute(site.base_url, listing.path + filename), rel="self", type=FEED_FILES[filename])
    fg.link(href=absolute(site.base_url, listing.path), rel="alternate", type="text/html")
    if config.feed.icon:
        fg.icon(_asset_url(config, config.feed.icon))
    if config.feed.logo:
        fg.logo(_asset_url(config, config.feed.logo))

    for entry in entries:
        _add_entry(fg, entry, config, description(entry.excerpt))
    return fg


def _add_entry(fg: Any, entry: Entry, config: Config, summary: str) -> None:
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
    for category in _categories(post, config):
        fe.category(category)
    if entry.image:
        fe.media.content({"url": entry.image, "medium": "image"})
        fe.media.thumbnail({"url": entry.image})
    fe.summary(summary, type="text")  # also the RSS <description>
    if config.feed.content == "full":
        fe.content(_clean(entry.html), type="html")  # also the RSS <content:encoded>


def _json_item(entry: Entry, config: Config) -> dict[str, Any]:
    post = entry.post
    item: dict[str, Any] = {
        "id": tag_uri(config.site.id_authority, post.id),
        "url": entry.url,
        "title": _clean(post.title),
    }
    excerpt = _clean(entry.excerpt)
    if config.feed.content == "full":
        item["content_html"] = _clean(entry.html)
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
    item["language"] = _clean(post.lang)
    return item


def _newest(listing: Listing, config: Config) -> tuple[Entry, ...]:
    return listing.entries[: config.feed.limit]


def _subtitle(listing: Listing, config: Config) -> str:
    if listing.kind == "site":
        return _clean(config.site.subtitle)
    language = config.site.language.lower().split("-")[0]
    template = _LISTING_SUBTITLES.get(language, _LISTING_SUBTITLES["en"])[listing.kind]
    return _clean(template.format(listing.name))


def _categories(post: Post, config: Config) -> list[dict[str, str]]:
    """Atom categories for the post's category and each tag; the scheme is that listing's page."""
    named = [(post.category, category_path)] if post.category else []
    named += [(tag, tag_path) for tag in post.tags]
    categories = []
    for name, path in named:
        term = _clean(name)
        if not term:
            continue
        category = {"term": term, "label": term}
        if slugify(name):
            category["scheme"] = absolute(config.site.base_url, path(slugify(name)))
        categories.append(category)
    return categories


def _asset_url(config: Config, url: str) -> str:
    return url if urlsplit(url).scheme else absolute(config.site.base_url, url)


def _clean(text: str) -> str:
    """Texts are cleaned on the way in already; this keeps lxml from ever raising on one."""
    return strip_forbidden(text)


def _escape(text: str) -> str:
    return html.escape(_clean(text), quote=False)
