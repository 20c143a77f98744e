"""`syndicate import`: the posts of an RSS, Atom or JSON feed, one Markdown file each.

feedparser reads an XML feed; it also sanitizes each entry's HTML and makes its
links absolute. A JSON Feed is read into the same shape (see jsonfeed.py), its HTML
made safe by the same functions of feedparser. The HTML is kept as it is, as one
raw HTML block of the Markdown body. Each post keeps its entry's original id in `id`, so subscribers
see no duplicates when the feed moves here, and so that a second import finds
what the first one wrote: an entry already imported is skipped, or rewritten
in place when the feed holds a newer version of it (its `updated` is later
than the file's). A file is never overwritten by a different post.

What the store would refuse is cleaned on the way in where that loses nothing a
reader sees: characters no field may hold are removed, a name too long for a slug
is cut, a name that cannot be a folder (`nul`) is left out, tags beyond the store's
limit are dropped. Then each post file is read back with the store's own parser
before it is written: an entry it would still refuse is reported, not written.

Exports that hold more than posts are understood: Blogger's comments, pages
and settings and WordPress's pages and attachments are left out, and their
drafts become drafts.
"""

from __future__ import annotations

import calendar
import email.utils
import http.client
import io
import os
import re
import sys
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import unquote, urlsplit

import feedparser

from syndicate.authoring.jsonfeed import JsonItem, NotJsonFeed, looks_like_json, parse_json_feed
from syndicate.authoring.newpost import existing_posts, post_text, short_slug
from syndicate.config import Config, StoreConfig
from syndicate.render.excerpt import plain_text
from syndicate.source.fieldcheck import in_whole_minutes, out_of_range, shown
from syndicate.source.frontmatter import MAX_TAGS, parse_post
from syndicate.urls import MAX_SLUG_BYTES, foreign_scheme, slugify, unfit_slug
from syndicate.xmlchars import describe_char, escape_unfit, strip_unfit, unfit_char

USER_AGENT = "syndicate-import"
TIMEOUT = 30.0  # seconds to wait for a feed's server
PROGRESS_FROM = 50  # entries: longer imports show a counter on a terminal
# The largest post an entry may become (its file, front matter and all): the store's
# max_post_bytes of the configuration in use, so that what import writes the store reads.
MAX_IMPORTED_POST_BYTES = StoreConfig().max_post_bytes  # the default
# The most a feed downloaded from a URL may be (--max-download-mb): a feed is read whole,
# and feedparser holds some five times its size while it parses. Feeds are a few MB at
# most; a bigger export is better downloaded and imported from its file.
MAX_DOWNLOAD_MB = 100
_MB = 1024 * 1024
_CHUNK = 64 * 1024

_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.1"
)
_BLOGGER_KIND = "http://schemas.google.com/g/2005#kind"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_PAGE_EXTENSIONS = (".html", ".htm", ".shtml", ".xhtml", ".php", ".asp", ".aspx")
_VOID = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr",
    }
)  # fmt: skip
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
        "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
# A line that opens a fenced code block: Markdown reads fences even inside raw HTML.
_FENCE = re.compile(r"^([ \t]*)([`~])(?=\2\2)", re.MULTILINE)
_WEB_URL = re.compile(r"^https?://", re.IGNORECASE)
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_TAG = re.compile(r"<[^>]*>")
_RSS_AUTHOR = re.compile(r"^\s*[^\s@()]+@[^\s()]+\s*\((.+)\)\s*$")
# Elements that show something though they hold no text.
_EMBEDDED = re.compile(r"<(?:img|picture|video|audio|iframe|embed|object|svg|math|canvas)\b", re.IGNORECASE)

Kind = Literal["post", "draft", "other"]
FeedDict = Mapping[str, Any]  # feedparser's FeedParserDict, untyped


class FeedError(Exception):
    """The feed as a whole cannot be read; the message is one line."""


class BadEntry(Exception):
    """One entry cannot become a post; the message says why."""


@dataclass(frozen=True)
class Incoming:
    """A feed entry made ready to write as a post."""

    id: str
    title: str
    date: datetime
    updated: datetime | None
    category: str | None
    tags: tuple[str, ...]
    author: str | None
    summary: str | None
    draft: bool
    slug: str  # wanted; the file gets it or the first free `slug-2`, `slug-3`, ...
    body: str
    lang: str | None = None
    image: str | None = None

    @property
    def last_modified(self) -> datetime:
        return self.updated if self.updated is not None else self.date

    def text(self, slug: str) -> str:
        """The post file, front matter in the order the README lists the fields."""
        fields: dict[str, object] = {"title": self.title, "date": self.date}
        if self.updated is not None:
            fields["updated"] = self.updated
        if self.category is not None:
            fields["category"] = self.category
        if self.tags:
            fields["tags"] = self.tags
        if self.author is not None:
            fields["author"] = self.author
        if self.summary is not None:
            fields["summary"] = self.summary
        if self.draft:
            fields["draft"] = True
        fields["id"] = self.id
        fields["slug"] = slug
        if self.lang is not None:
            fields["lang"] = self.lang
        if self.image is not None:
            fields["image"] = self.image
        return post_text(fields, self.body)


@dataclass
class Tally:
    imported: int = 0
    drafts: int = 0  # of the imported
    updated: int = 0
    skipped: int = 0
    bad: int = 0
    ignored: int = 0  # comments, pages, settings: not posts

    def __str__(self) -> str:
        parts = [f"imported {self.imported}" + (f" ({self.drafts} as drafts)" if self.drafts else "")]
        if self.updated:
            parts.append(f"updated {self.updated}")
        parts += [f"skipped {self.skipped} (already there)", f"{self.bad} bad"]
        if self.ignored:
            parts.append(f"ignored {self.ignored} that are not posts (comments, pages, settings)")
        return ", ".join(parts)


def run_import(
    config: Config, source: str, into: Path | None = None, max_download_mb: int | None = None
) -> int:
    """The command: 0 when the good entries were written, 1 when every entry was bad,
    2 when the feed cannot be read or a file cannot be written."""
    folder = into if into is not None else config.store.path
    try:
        feed = read_feed(source, max_download_mb or MAX_DOWNLOAD_MB)
    except FeedError as exc:
        print(f"syndicate: error: import: {exc}", file=sys.stderr)
        return 2
    try:
        tally = import_entries(feed, folder, config)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"syndicate: error: import: cannot write: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    print(tally)
    return 1 if tally.bad and not (tally.imported or tally.updated or tally.skipped) else 0


def read_feed(source: str, max_download_mb: int = MAX_DOWNLOAD_MB) -> FeedDict:
    """The parsed feed at a file path or an http(s) URL (of at most `max_download_mb`)."""
    if _WEB_URL.match(source):
        data, headers = _fetch(source, max_download_mb)
        if looks_like_json(data, headers["content-type"]):
            return _parse_json(source, data, headers["content-location"])
        feed = _parse(source, data, headers)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise FeedError(f"{source}: {exc.strerror or exc}") from None
        if looks_like_json(data, "application/json" if source.lower().endswith(".json") else None):
            return _parse_json(source, data, None)
        feed = _parse(source, data, {})
        # Read from a URL, relative links resolve against it; read from a file, against
        # the URL the feed says it has, so that both give the same posts.
        location = _feed_location(feed["feed"])
        if location is not None:
            feed = _parse(source, data, {"content-location": location, "content-type": "application/xml"})
    problem = feed.get("bozo_exception")
    if feed.get("bozo") and not isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe):
        print(f"import: warning: {source}: read leniently: {_one_line(problem)}", file=sys.stderr)
    return feed


def _fetch(url: str, max_mb: int) -> tuple[bytes, dict[str, str]]:
    # Uncompressed: the bytes counted against the limit are the bytes parsed (urllib does
    # not decompress, and neither does feedparser given bytes).
    headers = {"User-Agent": USER_AGENT, "Accept": _ACCEPT, "Accept-Encoding": "identity"}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = _read_at_most(response, url, max_mb)
            headers = {
                "content-location": response.geturl(),
                "content-type": response.headers.get("Content-Type", "application/xml"),
            }
    except urllib.error.HTTPError as exc:
        raise FeedError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FeedError(f"{url}: {exc.reason}") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise FeedError(f"{url}: {_one_line(exc) or type(exc).__name__}") from None
    return data, headers


def _read_at_most(response: http.client.HTTPResponse, url: str, max_mb: int) -> bytes:
    """The response's body, read a chunk at a time and given up on past `max_mb`."""
    limit = max_mb * _MB
    too_big = FeedError(f"{url}: more than {max_mb} MB to download (--max-download-mb); nothing imported")
    length = response.headers.get("Content-Length", "")
    if length.strip().isdigit() and int(length) > limit:
        raise too_big  # said so before sending it
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(min(_CHUNK, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise too_big
    return b"".join(chunks)


def _parse(source: str, data: bytes, headers: dict[str, str]) -> FeedDict:
    # Bytes in a stream: feedparser treats a str as a URL or a path to open.
    feed: FeedDict = feedparser.parse(io.BytesIO(data), response_headers=headers or None)
    if not feed["entries"] and (feed.get("bozo") or not feed.get("version")):
        problem = _one_line(feed.get("bozo_exception")) or "no feed found"
        raise FeedError(f"{source}: not an RSS or Atom feed ({problem})")
    for info in (feed["feed"], *feed["entries"]):
        _decode_names(info)
    return feed


def _parse_json(source: str, data: bytes, base: str | None) -> FeedDict:
    try:
        return parse_json_feed(data, base)
    except NotJsonFeed as exc:
        raise FeedError(f"{source}: not a JSON Feed: {_one_line(exc)}") from None


def _decode_names(info: FeedDict) -> None:
    """Decode the references feedparser leaves in names of double-escaped feeds, once.

    feedparser decodes a title it takes for HTML, but not a term or an author's name, so
    `Lo&amp;#239;c` in an RSS feed gave the title `Loïc` and the category `Lo&#239;c`.
    """
    for tag in info.get("tags") or ():
        for key in ("term", "label"):
            if isinstance(tag.get(key), str):
                tag[key] = _unescape_references(tag[key])
    detail = info.get("author_detail")
    if detail and isinstance(detail.get("name"), str):
        detail["name"] = _unescape_references(detail["name"])
    if isinstance(_field(info, "author"), str):
        info["author"] = _unescape_references(info["author"])  # type: ignore[index]


def _unescape_references(text: str) -> str:
    """`text` with each complete character or entity reference decoded (`&copy` without
    its `;` stays as it is, which html.unescape alone would decode)."""
    return _REFERENCE.sub(lambda match: unescape(match.group()), text)


def _feed_location(info: FeedDict) -> str | None:
    for link in info.get("links") or ():
        if link.get("rel") == "self" and _WEB_URL.match(link.get("href") or ""):
            return str(link["href"])
    link = info.get("link") or ""
    return link if _WEB_URL.match(link) else None


def import_entries(feed: FeedDict, folder: Path, config: Config) -> Tally:
    """Write each good entry of `feed` into `folder`; report each bad one on stderr."""
    folder.mkdir(parents=True, exist_ok=True)
    max_bytes = config.store.max_post_bytes
    posts = existing_posts(folder, config)
    by_id = {post.id: post for post in posts}
    slugs = {post.slug for post in posts}
    first_seen: dict[str, int] = {}
    tally = Tally()
    entries = feed["entries"]
    progress = _Progress(len(entries))
    for number, entry in enumerate(entries, 1):
        progress.show(number)
        kind = entry_kind(entry)
        if kind == "other":
            tally.ignored += 1
            continue

        warn = partial(_warn_of_entry, progress, number, entry)
        try:
            incoming = read_entry(
                entry,
                feed["feed"],
                draft=kind == "draft",
                warn=warn,
                max_bytes=max_bytes,
                site_language=config.site.language,
            )
            if incoming.id in first_seen:
                raise BadEntry(f"the same id as entry {first_seen[incoming.id]}")
            _check_post(incoming, config)
        except (BadEntry, ValueError, TypeError, AttributeError) as exc:
            progress.clear()
            print(f"import: entry {number} ({_label(entry)}): {_one_line(exc)}", file=sys.stderr)
            tally.bad += 1
            continue
        first_seen[incoming.id] = number
        old = by_id.get(incoming.id)
        if old is None:
            _write_new(folder, incoming, slugs)
            tally.imported += 1
            tally.drafts += incoming.draft
        elif incoming.last_modified > old.last_modified and _rewrite(folder / old.source, incoming, old.slug):
            tally.updated += 1
        else:
            tally.skipped += 1
    progress.clear()
    return tally


def _write_new(folder: Path, incoming: Incoming, slugs: set[str]) -> Path:
    number = 1
    while True:
        slug = incoming.slug if number == 1 else f"{incoming.slug}-{number}"
        number += 1
        if slug in slugs:
            continue
        path = folder / _file_name(incoming, slug)
        try:
            with path.open("x", encoding="utf-8", newline="\n") as file:
                file.write(incoming.text(slug))
        except FileExistsError:
            continue  # a file the scan could not read as a post: never overwrite it
        slugs.add(slug)
        return path


def _file_name(incoming: Incoming, slug: str) -> str:
    return f"{incoming.date.strftime('%Y-%m-%d')}-{slug}.md"


def _rewrite(path: Path, incoming: Incoming, slug: str) -> bool:
    """Replace the post at `path` with the newer version; False if nothing changed."""
    text = incoming.text(slug)
    if path.read_bytes() == text.encode():
        return False
    temporary = path.with_name(f".{path.name}.import")  # hidden: the store skips it
    temporary.write_text(text, encoding="utf-8", newline="\n")
    os.replace(temporary, path)
    return True


def entry_kind(entry: FeedDict) -> Kind:
    """A post, a draft, or something else an export holds (a comment, a page, settings)."""
    for tag in entry.get("tags") or ():
        if tag.get("scheme") == _BLOGGER_KIND and not str(tag.get("term")).endswith("#post"):
            return "other"
    # Blogger's newer exports, and WordPress's (WXR).
    blogger_type, blogger_status = entry.get("blogger_type"), entry.get("blogger_status")
    if blogger_type not in (None, "POST") or blogger_status == "DELETED":
        return "other"
    wp_type, wp_status = entry.get("wp_post_type"), entry.get("wp_status")
    if wp_type not in (None, "post") or wp_status in ("trash", "auto-draft", "inherit"):
        return "other"
    draft_flag = str(entry.get("app_draft") or "").strip().lower() == "yes"
    if draft_flag or blogger_status == "DRAFT" or wp_status in ("draft", "pending", "private"):
        return "draft"
    return "post"


def read_entry(
    entry: FeedDict,
    feed_info: FeedDict,
    *,
    draft: bool = False,
    warn: Callable[[str], None] | None = None,
    max_bytes: int = MAX_IMPORTED_POST_BYTES,
    site_language: str | None = None,
) -> Incoming:
    """The post one entry becomes; BadEntry says why it cannot become one, `warn` (one line
    on stderr by default) what was changed to make it one. The post has a `lang` only if
    the feed gives one other than `site_language`."""
    json_item = entry if isinstance(entry, JsonItem) else None
    if json_item is not None and json_item.problem:
        raise BadEntry(json_item.problem)
    warn = warn or _warn
    entry_id = _entry_id(entry, warn)
    html = _content_html(entry)
    if len(html) > max_bytes:  # before any work on it; characters are at least a byte
        raise BadEntry(f"{_size(len(html.encode()))} of content, {_more_than(max_bytes)}")
    if "wp_post_type" in entry:  # WordPress exports hold the text before it gets its <p>s
        html = autop(html)
    if json_item is not None and json_item.external and json_item.external not in html:
        html += "\n" + _paragraph(json_item.external, json_item.external)
    title = _title(entry)
    if not title:
        if is_blank(html):
            raise BadEntry("no title and no content")
        title = title_from_text(strip_unfit(plain_text(html)))
        if not title:
            raise BadEntry("no title, and no text in the content to make one from")
    summary = _summary(entry, html)
    if is_blank(html):
        # A title-only entry (a list of links): as a reader shows it, the title links to its page.
        html = _paragraph(title, _page_link(entry))
    published, updated = entry_date(entry, "published"), entry_date(entry, "updated")
    date = published or updated
    if date is None:
        raw = _field(entry, "published") or _field(entry, "updated")
        raise BadEntry(f"unreadable date {raw!r}" if raw else "no date")
    if updated is not None and updated <= date:
        updated = None
    if updated is not None and (reason := out_of_range(updated)):
        warn(f"'updated' {updated.isoformat()} {reason}; left out")
        updated = None
    category, tags = _terms(entry, warn)
    return Incoming(
        id=entry_id,
        title=title,
        date=_whole_minutes(date),
        updated=_whole_minutes(updated) if updated is not None else None,
        category=category,
        tags=tags,
        author=_fit_name(_author(entry), "author", warn) or _fit_name(_author(feed_info), "author", warn),
        summary=summary,
        draft=draft,
        slug=_slug(entry, title),
        body=markdown_body(html),
        lang=_language(json_item, site_language),
        image=_image(json_item, warn),
    )


def _whole_minutes(moment: datetime) -> datetime:
    """An offset with seconds (a zone's local mean time) cannot be written: the same moment
    in UTC. A date out of range is left as it is, for the store's check to refuse."""
    return moment if out_of_range(moment) else in_whole_minutes(moment)


def _image(item: JsonItem | None, warn: Callable[[str], None]) -> str | None:
    image = item.image if item is not None else None
    if image is not None and (char := unfit_char(image)):
        warn(f"its image URL holds {describe_char(char)}, which no field may hold; left out")
        return None
    return image


def _language(item: JsonItem | None, site_language: str | None) -> str | None:
    language = item.language if item is not None else None
    same = language is not None and site_language is not None and language.lower() == site_language.lower()
    return None if same else language


def is_blank(html: str) -> bool:
    """Whether the HTML would show nothing: no text, no picture or other embedded thing."""
    return _EMBEDDED.search(html) is None and not unescape(_TAG.sub("", html)).strip()


def _paragraph(text: str, link: str | None) -> str:
    text = escape(text, quote=False)
    return f'<p><a href="{escape(link)}">{text}</a></p>' if link else f"<p>{text}</p>"


def _entry_id(entry: FeedDict, warn: Callable[[str], None]) -> str:
    """The entry's id, else its page's link. An id that is a URI of a scheme that names
    nothing is refused (the store's rule: see urls.foreign_scheme), and the link used, as
    for an entry without an id."""
    entry_id = " ".join(str(entry.get("id") or "").split())
    scheme = foreign_scheme(entry_id)
    link = _page_link(entry)
    if scheme is not None:
        instead = f"its link {link} is its id instead" if link else "and it has no link to use instead"
        warn(f"id {entry_id!r} is a {scheme}: URI, not an identifier; {instead}")
        entry_id = ""
    entry_id = entry_id or link or ""
    if char := unfit_char(entry_id):
        given, entry_id = entry_id, strip_unfit(entry_id)
        unfit = f"{describe_char(char)}, which no field may hold"
        warn(f"id {shown(given)} holds {unfit}; its id is {shown(entry_id)}")
    if not entry_id:
        raise BadEntry("no id and no link, so a second import could not recognise it")
    return entry_id


def _check_post(incoming: Incoming, config: Config) -> None:
    """BadEntry if the store would refuse the post file: its size, then whatever the
    store's own parser and checks (those of `syndicate check`) find wrong with it."""
    data = incoming.text(incoming.slug).encode()
    max_bytes = config.store.max_post_bytes
    if len(data) > max_bytes:
        raise BadEntry(f"a post of {_size(len(data))}, {_more_than(max_bytes)}")
    site = config.site
    post, problems = parse_post(
        _file_name(incoming, incoming.slug),
        data,
        author=site.author,
        language=site.language,
        timezone=config.tz,
        max_nesting=config.store.max_nesting,
    )
    errors = [problem.message for problem in problems if problem.severity == "error"]
    if errors or post is None:
        raise BadEntry(errors[0] if errors else "the store cannot read it")


def _fit_name(name: str | None, kind: str, warn: Callable[[str], None]) -> str | None:
    """A category, tag or author name whose slug can name a folder everywhere: `name`,
    else cut to a slug's length, else None (`nul` names a device on Windows), with a warning."""
    slug = slugify(name) if name else ""
    reason = unfit_slug(slug) if slug else None
    if name is None or reason is None:
        return name
    if len(slug.encode()) > MAX_SLUG_BYTES:
        cut = _cut_for_slug(name)
        if cut and unfit_slug(slugify(cut)) is None:
            warn(f"the {kind} {shown(name)} makes a slug that {reason}; cut to {len(cut)} characters")
            return cut
    warn(f"the {kind} {shown(name)} makes the slug {shown(slug)}, which {reason}; left out")
    return None


def _cut_for_slug(name: str) -> str:
    """The longest start of `name` whose slug is at most MAX_SLUG_BYTES (a binary search:
    each try is a slugify, and a slug is no shorter for a longer start)."""
    low, high = 0, min(len(name), MAX_SLUG_BYTES)  # enough for any name, and few bytes to slugify
    while low < high:
        middle = (low + high + 1) // 2
        if len(slugify(name[:middle]).encode()) <= MAX_SLUG_BYTES:
            low = middle
        else:
            high = middle - 1
    return name[:low].rstrip()


def _more_than(max_bytes: int) -> str:
    limit = f"{max_bytes // _MB} MB" if max_bytes % _MB == 0 else f"{max_bytes:,} bytes"
    return f"more than a post may have (store.max_post_bytes, {limit})"


def _size(size: int) -> str:
    return f"{size / _MB:.1f} MB" if size >= _MB else f"{size:,} bytes"


def _warn(message: str) -> None:
    print(f"import: warning: {message}", file=sys.stderr)


def _warn_of_entry(progress: _Progress, number: int, entry: FeedDict, message: str) -> None:
    progress.clear()
    print(f"import: warning: entry {number} ({_label(entry)}): {message}", file=sys.stderr)


def _label(entry: FeedDict) -> str:
    return escape_unfit(str(entry.get("id") or entry.get("link") or entry.get("title") or "no id"))


def _page_link(entry: FeedDict) -> str | None:
    """The entry's page on the old site, if it has one."""
    for link in entry.get("links") or ():
        if link.get("rel", "alternate") == "alternate" and _WEB_URL.match(link.get("href") or ""):
            return str(link["href"])
    link = entry.get("link") or ""
    return link if _WEB_URL.match(link) else None


def _title(entry: FeedDict) -> str:
    title = str(entry.get("title") or "")
    if (entry.get("title_detail") or {}).get("type") in _HTML_TYPES:
        title = plain_text(title)
    return " ".join(strip_unfit(title).split())


def title_from_text(text: str, length: int = 60) -> str:
    """A title for an untitled entry (a status update): its opening words."""
    if len(text) <= length:
        return text
    cut = text[:length]
    space = cut.rfind(" ")
    return (cut[:space] if space > length // 3 else cut).rstrip(" ,.;:") + "…"


def _as_html(value: str, media_type: str | None) -> str:
    if media_type in _HTML_TYPES:
        return value
    paragraphs = (" ".join(part.split()) for part in re.split(r"\n\s*\n", value))
    return "\n".join(f"<p>{escape(part, quote=False)}</p>" for part in paragraphs if part)


def _content_html(entry: FeedDict) -> str:
    """The first content that is not blank, else the summary, as HTML."""
    for content in entry.get("content") or ():
        html = _as_html(str(content.get("value") or ""), content.get("type"))
        if not is_blank(html):
            return html
    summary = entry.get("summary")
    if summary:
        return _as_html(str(summary), (entry.get("summary_detail") or {}).get("type", "text/html"))
    return ""


def _summary(entry: FeedDict, html: str) -> str | None:
    """The entry's own summary as plain text, if it has one besides its content."""
    detail = entry.get("summary_detail")
    # Without a summary of its own, feedparser copies the content into `summary` (and no detail).
    if not entry.get("content") or not detail:
        return None
    summary = strip_unfit(plain_text(_as_html(str(detail.get("value") or ""), detail.get("type")))).strip()
    return summary if summary and summary != strip_unfit(plain_text(html)).strip() else None


def entry_date(entry: FeedDict, key: str) -> datetime | None:
    """The entry's `key` date with the offset it was written with, or in UTC."""
    parsed = _field(entry, f"{key}_parsed")
    try:
        utc = datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None
    except (ValueError, OverflowError):  # past year 9999 in UTC: the date as written, for the store to judge
        utc = None
    raw = _field(entry, key)
    local = with_offset(raw) if isinstance(raw, str) else None
    # feedparser reads more date formats than the standard library: trust ours only if both agree.
    if local is not None and (utc is None or local.replace(microsecond=0) == utc):
        return local
    return utc


def _field(item: FeedDict, key: str) -> Any:
    """`item[key]` as feedparser stored it: its `get("updated")` answers `published` when absent."""
    return dict.get(item, key) if isinstance(item, dict) else item.get(key)


def with_offset(text: str) -> datetime | None:
    """An RFC 3339 or RFC 822 date with its own offset; None for other text or no offset."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return moment if moment.tzinfo is not None else None


def _terms(entry: FeedDict, warn: Callable[[str], None]) -> tuple[str | None, tuple[str, ...]]:
    """(category, tags): the first term is the category, the rest are tags, no more of
    them than a post may have."""
    terms: list[tuple[str, str]] = []
    for tag in entry.get("tags") or ():
        scheme = str(tag.get("scheme") or "")
        name = " ".join(strip_unfit(str(tag.get("term") or tag.get("label") or "")).split())
        if name and scheme != _BLOGGER_KIND:
            terms.append((scheme, name))
    if any(scheme in ("category", "post_tag") for scheme, _ in terms):
        # A WordPress export says which terms are categories; extra categories become tags.
        names = [name for scheme, name in terms if scheme == "category"]
        names += [name for scheme, name in terms if scheme == "post_tag"]
    else:
        names = [name for _, name in terms]
    fitting = (_fit_name(name, "term", warn) for name in dict.fromkeys(names))
    unique = list(dict.fromkeys(name for name in fitting if name is not None))
    if not unique:
        return None, ()
    category, tags = unique[0], unique[1:]
    if len(tags) > MAX_TAGS:
        warn(f"{len(tags)} tags, more than a post may have ({MAX_TAGS}); the first {MAX_TAGS} kept")
        tags = tags[:MAX_TAGS]
    return category, tuple(tags)


def _author(info: FeedDict) -> str | None:
    # Only a name: an author given as just an e-mail address is not published.
    detail = info.get("author_detail") or {}
    name = detail.get("name") or (None if detail.get("email") else info.get("author"))
    # RSS's `address (Name)`: feedparser cuts a domain of over four letters short, and the name with it.
    if rss_form := _RSS_AUTHOR.match(str(_field(info, "author") or "")):
        name = rss_form.group(1)
    return " ".join(strip_unfit(str(name or "")).split()) or None


def _slug(entry: FeedDict, title: str) -> str:
    """The last segment of the old page's path, so the post keeps its name; else from the title."""
    link = _page_link(entry)
    if link is not None:
        segments = [part for part in urlsplit(link).path.split("/") if part]
        if segments:
            name = unquote(segments[-1])
            for extension in _PAGE_EXTENSIONS:
                name = name.removesuffix(extension)
            if slug := short_slug(name):
                return slug
    return short_slug(title) or "post"


def markdown_body(html: str) -> str:
    """The entry's HTML as a Markdown body that Markdown passes through untouched.

    One `<div>` around it all makes it a single raw HTML block, so Markdown leaves
    text that is not inside a tag alone too; that needs balanced tags, or a stray
    `</div>` would end the block early.
    """
    html = html.strip()
    if not html:
        return ""
    balanced = _FENCE.sub(lambda m: m.group(1) + f"&#{ord(m.group(2))};", balance(html))
    return f"\n<div>\n{balanced}\n</div>\n"


def balance(html: str) -> str:
    """`html` with every open element closed and every stray end tag dropped."""
    balancer = _Balancer()
    balancer.feed(html)
    balancer.close()
    return balancer.result()


class _Balancer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.open: list[str] = []
        # How many of each are open: an end tag is matched without searching `open`, which
        # made 20,000 stray end tags under 20,000 open ones take seconds.
        self.counts: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.open and self.open[-1] == "p" and tag in _BLOCKS:
            self._close_to(len(self.open) - 1)  # a block ends an open paragraph
        self.out.append(self.get_starttag_text() or f"<{tag}>")
        if tag not in _VOID:
            self.open.append(tag)
            self.counts[tag] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or f"<{tag} />")

    def handle_endtag(self, tag: str) -> None:
        if self.counts[tag]:  # else a stray end tag: dropped
            while self._close_last() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")

    def _close_last(self) -> str:
        tag = self.open.pop()
        self.counts[tag] -= 1
        self.out.append(f"</{tag}>")
        return tag

    def _close_to(self, depth: int) -> None:
        while len(self.open) > depth:
            self._close_last()

    def result(self) -> str:
        self._close_to(0)
        return "".join(self.out)


def autop(html: str) -> str:
    """WordPress's stored text to HTML: blank lines part paragraphs, single newlines break lines."""
    blocks: list[str] = []
    for chunk in re.split(r"\n\s*\n", html.strip()):
        chunk = chunk.strip()
        if not chunk:
            continue
        opening = re.match(r"<!--|</?([a-zA-Z][a-zA-Z0-9]*)", chunk)
        if opening and (opening.group(1) is None or opening.group(1).lower() in _BLOCKS):
            blocks.append(chunk)
        else:
            blocks.append("<p>" + chunk.replace("\n", "<br />\n") + "</p>")
    return "\n\n".join(blocks)


class _Progress:
    """`import: entry 37/120` redrawn in place on a terminal, for long imports only."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.active = total > PROGRESS_FROM and self.stream.isatty()
        self.width = 0

    def show(self, number: int) -> None:
        if self.active:
            line = f"import: entry {number}/{self.total}"
            self.stream.write("\r" + line)
            self.stream.flush()
            self.width = len(line)

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _one_line(value: object) -> str:
    return " ".join(str(value or "").split())
