"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/), read into the shape feedparser gives an
Atom or RSS feed, so that the importer reads its items as it reads their entries.

An item's `content_html` is made safe as feedparser makes an XML entry's HTML safe: its
links resolved (against the item's page) and its markup sanitized, by feedparser's own
functions. Keys that begin with `_` are extensions: nothing reads them.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

MEDIA_TYPES = frozenset({"application/feed+json", "application/json"})
_BOM = b"\xef\xbb\xbf"
_VERSION = re.compile(r"^https?://jsonfeed\.org/version/", re.IGNORECASE)
_WEB_URL = re.compile(r"^https?://", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


class NotJsonFeed(ValueError):
    """The document is not a JSON Feed; the message says why, in a few words."""


class JsonItem(dict[str, Any]):
    """One item as feedparser would give it, with what feedparser's entries never hold."""

    problem: str | None = None  # why it cannot be a post at all
    image: str | None = None
    language: str | None = None
    external: str | None = None  # external_url: the page elsewhere the item is about


def looks_like_json(data: bytes, media_type: str | None) -> bool:
    """Whether `data` is to be read as JSON: what it starts with, else its media type."""
    start = data.removeprefix(_BOM).lstrip()[:1]
    if start in (b"{", b"["):
        return True
    kind = (media_type or "").split(";")[0].strip().lower()
    return start != b"<" and (kind in MEDIA_TYPES or kind.endswith("+json"))


def parse_json_feed(data: bytes, base: str | None = None) -> dict[str, Any]:
    """The feed in `data`, as {"feed": ..., "entries": [...]}; relative URLs resolve against
    `base` (the URL it was downloaded from), else against the URL the feed says it has."""
    try:
        document = json.loads(data)
    except UnicodeDecodeError:
        raise NotJsonFeed("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise NotJsonFeed(f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise NotJsonFeed("invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # a number of more digits than Python converts, say
        raise NotJsonFeed(f"invalid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise NotJsonFeed("not a JSON object")
    version = document.get("version")
    if version is None:
        raise NotJsonFeed("missing version")
    if not isinstance(version, str) or not _VERSION.match(version):
        raise NotJsonFeed(f"version {str(version)[:100]!r} is not https://jsonfeed.org/version/…")
    items = document.get("items")
    if items is None:
        raise NotJsonFeed("missing items")
    if not isinstance(items, list):
        raise NotJsonFeed("items is not a list")
    base = base or _web_url(document.get("feed_url")) or _web_url(document.get("home_page_url"))
    info: dict[str, Any] = {"title": _text(document.get("title"))}
    if home := _web_url(document.get("home_page_url"), base):
        info["link"] = home
    if author := _author(document):
        info["author_detail"] = {"name": author}
    language = _language(document.get("language"))
    entries = [_item(item, base, language) for item in items]
    return {"feed": info, "entries": entries, "version": "json" + version.rsplit("/", 1)[-1]}


def _item(item: object, base: str | None, feed_language: str | None) -> JsonItem:
    entry = JsonItem()
    if not isinstance(item, dict):
        entry.problem = "the item is not a JSON object"
        return entry
    identifier = item.get("id")
    if isinstance(identifier, int) and not isinstance(identifier, bool):
        identifier = str(identifier)  # JSON Feed 1.0 feeds often number their items
    elif identifier is not None and not isinstance(identifier, str):
        entry.problem, identifier = "its id is not a string", None
    entry["id"] = identifier or ""
    page = _web_url(item.get("url"), base)
    if page:
        entry["link"] = page
        entry["links"] = [{"rel": "alternate", "href": page}]
    if title := _text(item.get("title")):
        entry["title"] = title
    where = page or base  # what its relative URLs are relative to
    content = []
    if html := _text(item.get("content_html")):
        content.append({"value": _safe_html(html, where), "type": "text/html"})
    if text := _text(item.get("content_text")):
        content.append({"value": text, "type": "text/plain"})
    if content:
        entry["content"] = content
    if summary := _text(item.get("summary")):
        entry["summary"] = summary
        entry["summary_detail"] = {"value": summary, "type": "text/plain"}
    for key, field in (("published", "date_published"), ("updated", "date_modified")):
        raw = item.get(field)
        if raw is not None:
            entry[key] = raw if isinstance(raw, str) else json.dumps(raw)[:100]
            entry[f"{key}_parsed"] = _parsed(raw) if isinstance(raw, str) else None
    tags = item.get("tags")
    if isinstance(tags, list):
        entry["tags"] = [{"term": tag, "scheme": None, "label": None} for tag in tags if isinstance(tag, str)]
    if author := _author(item):
        entry["author_detail"] = {"name": author}
    entry.image = _web_url(item.get("image"), where) or _web_url(item.get("banner_image"), where)
    entry.language = _language(item.get("language")) or feed_language
    entry.external = _web_url(item.get("external_url"), where)
    return entry


def _safe_html(html: str, base: str | None) -> str:
    """What feedparser does to an entry's HTML: links resolved (and those of schemes it
    does not trust emptied), then sanitized."""
    html = feedparser.urls.resolve_relative_uris(html, base or "", "utf-8", "text/html")
    return str(feedparser.sanitizer._sanitize_html(html, "utf-8", "text/html"))


def _author(info: dict[str, Any]) -> str | None:
    """The first author with a name: 1.1's `authors`, else 1.0's `author`."""
    authors = info.get("authors")
    people = [*(authors if isinstance(authors, list) else ()), info.get("author")]
    for person in people:
        if isinstance(person, dict) and (name := _text(person.get("name"))):
            return name
    return None


def _parsed(raw: str) -> time.struct_time | None:
    """An RFC 3339 date in UTC, as feedparser gives its dates; UTC when it has no offset."""
    try:
        moment = datetime.fromisoformat(raw.strip())
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).utctimetuple()
    except (ValueError, OverflowError):
        return None  # the importer tries RFC 822 too


def _web_url(value: object, base: str | None = None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        url = urljoin(base, value.strip()) if base else value.strip()
    except ValueError:
        return None
    return url if _WEB_URL.match(url) else None


def _language(value: object) -> str | None:
    text = _text(value).replace("_", "-")
    return text if _LANGUAGE.match(text) else None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
