"""The HTML pages: each listing (the site, every category, every tag) paginated, with
a page to subscribe to its feeds; one page per post, the 404 page, and the stylesheet
and script they share.

Every link is absolute from `site.base_url`; nothing here reads the clock, so the
same listings and config always give the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from functools import lru_cache, partial
from importlib import resources
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from syndicate import urls
from syndicate.config import Config
from syndicate.languages import language_name
from syndicate.outputs.feeds import feed_title
from syndicate.outputs.listings import Listing, Listings
from syndicate.outputs.output import Output, Part
from syndicate.outputs.words import words_for
from syndicate.posts import Entry

_STYLESHEET_PATH = "/style.css"
_FAVICON_PATH = "/favicon.svg"
_SCRIPT_PATH = "/copy.js"  # the copy buttons of the subscribe pages
# Beside each listing's first page: "/subscribe/", "/categories/<slug>/subscribe/", ...
SUBSCRIBE_DIR = "subscribe/"
# Where the 404 page is: in the Build like every page, so `build --out` writes it for a
# static host's error_page, and the server answers every unknown path with its bytes.
NOT_FOUND_PATH = "/404.html"


@dataclass(frozen=True)
class _Feeds:
    """One listing's three feeds, as autodiscovery links and visible links."""

    title: str
    atom: str
    rss: str
    json: str


@dataclass(frozen=True)
class _Link:
    text: str
    href: str | None  # None when the name has no slug, so no page to link to


@dataclass(frozen=True)
class _Date:
    rfc3339: str
    text: str  # YYYY-MM-DD


@dataclass(frozen=True)
class _Item:
    """An entry as a listing page shows it."""

    title: str
    url: str
    excerpt: str
    category: _Link | None
    date: _Date


@dataclass(frozen=True)
class _PageLink:
    text: str | None  # the page's number; None: a gap ("…")
    href: str
    current: bool


@dataclass(frozen=True)
class _Pager:
    newer: str | None  # rel="prev": page 1 holds the newest entries
    older: str | None  # rel="next"
    pages: tuple[_PageLink, ...]


@dataclass(frozen=True)
class _FeedUrl:
    label: str  # "Atom", "RSS", "JSON Feed"
    url: str


@dataclass(frozen=True)
class _Subscription:
    """One listing's feeds as its subscribe page shows them."""

    anchor: str  # the section's id: "site", "categories-<slug>", ...
    title: str
    urls: tuple[_FeedUrl, ...]
    readers: tuple[_Link, ...]  # "follow in" links of web readers, for the Atom feed


HTML = "text/html; charset=utf-8"
_CSS = "text/css; charset=utf-8"
_JS = "text/javascript; charset=utf-8"  # RFC 9239
# Web readers that subscribe to the feed whose URL they are given, percent-encoded.
_READERS = (
    ("Feedly", "https://feedly.com/i/subscription/feed/"),
    ("Inoreader", "https://www.inoreader.com/?add_feed="),
    ("NewsBlur", "https://www.newsblur.com/?url="),
    ("The Old Reader", "https://theoldreader.com/feeds/subscribe?url="),
)


def page_outputs(listings: Listings, config: Config) -> list[Output]:
    """Every listing page and every post page, each made only when asked (the subscribe
    pages aside: see subscribe_outputs)."""
    outputs: list[Output] = []
    for listing in listings.all():
        outputs.extend(listing_page_outputs(listing, config))
    for entry, category in post_categories(listings):
        outputs.append(post_page_output(entry, category, bool(listings.authors)))
    return outputs


def post_categories(listings: Listings) -> Iterator[tuple[Entry, Listing | None]]:
    """Each entry that has a page, with the category listing its page links to."""
    categories = _page_categories(listings)
    paths = set()
    for entry in listings.site.entries:
        # Slugs are meant to be unique; if two posts share one, the newer keeps the page.
        path = urls.post_path(entry.post.slug)
        if path in paths:
            continue
        paths.add(path)
        yield entry, _category_of(entry, categories)


def post_category(listings: Listings, entry: Entry) -> Listing | None:
    """The category listing one entry's page links to (see post_categories)."""
    return _category_of(entry, _page_categories(listings))


def _page_categories(listings: Listings) -> dict[str, Listing]:
    """The category listings by slug, without their entries: a post's page, kept from build
    to build, must not keep old listings."""
    return {listing.slug: replace(listing, entries=()) for listing in listings.categories}


def _category_of(entry: Entry, categories: dict[str, Listing]) -> Listing | None:
    category = entry.post.category
    return categories.get(urls.slugify(category)) if category else None


def post_page_output(
    entry: Entry,
    category: Listing | None,
    has_author_pages: bool,
    versions: tuple[tuple[str, str], ...] = (),
) -> Output:
    """`versions`: every version of the post's text, itself included, as (language tag,
    page path), when it has translations (see syndicate.languages.translation_groups)."""
    path = urls.post_path(entry.post.slug)
    made_from = (entry, path, category.named() if category else None, has_author_pages, versions)
    return Output("page", path, HTML, entry.post.last_modified, _post_page, made_from)


def static_outputs() -> list[Output]:
    """The stylesheet and the icon every page links, and the subscribe pages' script."""
    return [
        Output("static", _STYLESHEET_PATH, _CSS, None, _static_file, ("style.css",)),
        Output("static", _FAVICON_PATH, "image/svg+xml", None, _static_file, ("favicon.svg",)),
        Output("static", _SCRIPT_PATH, _JS, None, _static_file, ("copy.js",)),
    ]


def not_found_output() -> Output:
    """The 404 page (see NOT_FOUND_PATH)."""
    return Output("not_found", NOT_FOUND_PATH, HTML, None, not_found_page, ())


def render_pages(listings: Listings, config: Config) -> dict[str, bytes]:
    """Site path -> bytes of every page of page_outputs, the stylesheet and the icon: the
    pages without script or links off the site (the subscribe pages have both)."""
    static = [output for output in static_outputs() if output.path != _SCRIPT_PATH]
    outputs = [*page_outputs(listings, config), *static]
    return {output.path: output.make(config) for output in outputs}


def subscribe_outputs(listings: Listings) -> list[Output]:
    """Every listing's subscribe page (in the Build as a part of the listing's pages)."""
    return [output for listing in listings.all() for output in _subscribe_part(listing).outputs()]


def subscribe_path(listing_path: str) -> str:
    return listing_path + SUBSCRIBE_DIR


def not_found_page(config: Config) -> bytes:
    """The HTML 404 page, in the same layout as every other page."""
    return _render(
        "not_found.html",
        **_layout(
            config,
            title=f"{words_for(config.site.language).not_found} · {config.site.title}",
            path=None,
            subscribe="/",
        ),
        feeds=(_feeds(_site_listing(), config),),
        lang=config.site.language,
    )


def _static_file(name: str, config: Config) -> bytes:
    return _static(name)


@lru_cache
def _static(name: str) -> bytes:
    return resources.files("syndicate.outputs").joinpath("static", name).read_bytes()


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("syndicate.outputs", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # The templates are part of the package: never look at their files' times again
        # (a stat of each per page made, 10,000s of them in a first build).
        auto_reload=False,
    )


def _render(template: str, **context: Any) -> bytes:
    """The template filled in, with the words of the page's language (`lang`) as `t`."""
    words = words_for(context["lang"])
    return _environment().get_template(template).render(t=words, **context).encode("utf-8")


# Page numbers a pager shows on either side of the current page, besides the first and last.
_AROUND = 2


def page_count(count: int, per_page: int) -> int:
    """How many pages `count` entries fill at `per_page` a page; an empty listing has one."""
    return max(1, -(-count // per_page))


def listing_page_outputs(listing: Listing, config: Config) -> list[Output]:
    """The listing's numbered pages, each made only when asked (see listing_page_parts)."""
    return [output for part in _numbered_page_parts(listing, config) for output in part.outputs()]


def listing_page_parts(listing: Listing, config: Config) -> list[Part]:
    """The listing's pages, a part each: its numbered pages, then its subscribe page."""
    return [*_numbered_page_parts(listing, config), _subscribe_part(listing)]


def _numbered_page_parts(listing: Listing, config: Config) -> list[Part]:
    """The listing's pages, newest first: page 1 is the listing's own path and
    shows its `page.per_page` newest entries, page 2 the next ones, and so on.

    A page is made from its entries, its number and how many pages there are (its pager
    links the last one), so a new post shifts every page of the listings it is in: pages
    are made on demand, and a rebuild only describes them."""
    per_page = config.page.per_page
    entries = listing.entries  # newest first
    total = page_count(len(entries), per_page)
    named = listing.named()
    return [
        _page_part(named, entries[(number - 1) * per_page : number * per_page], number, total)
        for number in range(1, total + 1)
    ]


@dataclass(frozen=True)
class _ListingPage:
    """What one numbered page of a listing is made from: a dataclass, so that its key is
    worked out once for its part and its output (key_of keeps it here)."""

    listing: Listing  # by name, without its entries
    entries: tuple[Entry, ...]  # those the page shows
    number: int  # from 1, the newest
    total: int  # how many pages the listing has: the pager links the last


def _page_part(listing: Listing, chunk: tuple[Entry, ...], number: int, total: int) -> Part:
    page = _ListingPage(listing, chunk, number, total)
    return Part(f"page {number}", (page,), partial(_page_outputs, page))


def _page_outputs(page: _ListingPage) -> list[Output]:
    path = _page_path(page.listing, page.number)
    return [Output("page", path, HTML, _updated(page.entries), _listing_page, (page,), on_demand=True)]


def _updated(chunk: tuple[Entry, ...]) -> datetime | None:
    """When any entry the page shows last changed; None for an empty listing."""
    return max((entry.post.last_modified for entry in chunk), default=None)


def _page_path(listing: Listing, number: int) -> str:
    return listing.path if number == 1 else urls.page_path(listing.path, number)


def _listing_page(page: _ListingPage, config: Config) -> bytes:
    listing, chunk, number, total = page.listing, page.entries, page.number, page.total
    lang = _language_of(listing, config)
    heading = _heading(listing, config, lang)
    title_parts = [heading] if listing.kind != "site" else []
    if number != 1:
        title_parts.append(words_for(lang).page.format(number))
    title = " · ".join([*title_parts, config.site.title])
    return _render(
        "listing.html",
        **_layout(config, title=title, path=_page_path(listing, number), subscribe=listing.path),
        feeds=(_feeds(listing, config),),
        lang=lang,
        heading=heading,
        items=tuple(_item(entry, config, config.tz) for entry in chunk),
        pager=_pager(listing, number, total, config) if total > 1 else None,
    )


@dataclass(frozen=True)
class _Version:
    tag: str  # BCP 47
    name: str  # the language's own name for itself
    href: str
    current: bool  # the page's own


def _post_page(
    entry: Entry,
    path: str,
    category: Listing | None,
    has_author_pages: bool,
    versions: tuple[tuple[str, str], ...],
    config: Config,
) -> bytes:
    post = entry.post
    base = config.site.base_url
    feeds = [_feeds(_site_listing(), config)]
    if category is not None:
        feeds.append(_feeds(category, config))
    tz = config.tz
    return _render(
        "post.html",
        **_layout(
            config,
            title=f"{_title(entry)} · {config.site.title}",
            path=path,
            subscribe=category.path if category is not None else "/",
        ),
        feeds=tuple(feeds),
        lang=post.lang or config.site.language,
        post_title=_title(entry),
        date=_date(post.date, tz),
        updated=_date(post.updated, tz) if post.updated is not None else None,
        author=_link(post.author, urls.author_path, config) if has_author_pages else _Link(post.author, None),
        image=_cover(entry),
        category=_category(post.category, config) if post.category else None,
        tags=tuple(_link(tag, urls.tag_path, config) for tag in post.tags),
        versions=tuple(
            _Version(tag, language_name(tag), urls.absolute(base, page), page == path)
            for tag, page in versions
        ),
        html=entry.html,
    )


def _cover(entry: Entry) -> str | None:
    """The post's `image` above its text, unless its text shows that very image already."""
    image = entry.image
    if not image or f'src="{html.escape(image)}"' in entry.html:
        return None
    return image


def _layout(config: Config, *, title: str, path: str | None, subscribe: str) -> dict[str, Any]:
    """What the shared layout (base.html) needs besides the feeds and the language;
    `subscribe` is the path of the listing whose subscribe page the header links."""
    base = config.site.base_url
    return {
        "title": title,
        "canonical": urls.absolute(base, path) if path is not None else None,
        "subscribe": urls.absolute(base, subscribe_path(subscribe)),
        "subscribing": path == subscribe_path(subscribe),
        "stylesheet": urls.absolute(base, _STYLESHEET_PATH),
        "favicon": urls.absolute(base, _FAVICON_PATH),
        "opml": urls.absolute(base, "/feeds.opml"),
        "home": urls.absolute(base, "/"),
        "site_title": config.site.title,
        "subtitle": config.site.subtitle,
        "banner": config.page.banner,
    }


# A category as the site's subscribe page links it: its name and its listing's path.
_Category = tuple[str, str]


def _subscribe_part(listing: Listing) -> Part:
    """The listing's subscribe page: its feeds, the site's and the OPML list. Made from the
    listing's name alone (and, for the site, the names of its categories), so it is remade
    only when those change."""
    site = listing.kind == "site"
    categories = _categories(listing.entries) if site else ()
    languages = _languages(listing.entries) if site else ()
    made_from = (listing.named(), categories, languages)
    return Part("subscribe", made_from, partial(_subscribe_outputs, *made_from))


def _subscribe_outputs(
    listing: Listing, categories: tuple[_Category, ...], languages: tuple[_Category, ...]
) -> list[Output]:
    path = subscribe_path(listing.path)
    return [Output("page", path, HTML, None, _subscribe_page, (listing, categories, languages))]


def _languages(entries: tuple[Entry, ...]) -> tuple[_Category, ...]:
    """The languages of the site's entries, as (name, listing path), when there are several
    (as make_listings has a listing for each then)."""
    tags = {lang.lower(): lang for lang in {entry.post.lang for entry in entries}}
    if len(tags) < 2:
        return ()
    return tuple((language_name(tags[slug]), urls.language_path(slug)) for slug in sorted(tags))


def _categories(entries: tuple[Entry, ...]) -> tuple[_Category, ...]:
    """The categories of the site's entries as make_listings names them: by slug, the
    smallest spelling of a merged one."""
    names: dict[str, str] = {}
    for name in {entry.post.category for entry in entries}:  # a few names, 10,000s of posts
        if name:
            slug = urls.slugify(name)
            if slug and (slug not in names or name < names[slug]):
                names[slug] = name
    return tuple((names[slug], urls.category_path(slug)) for slug in sorted(names))


def _subscribe_page(
    listing: Listing, categories: tuple[_Category, ...], languages: tuple[_Category, ...], config: Config
) -> bytes:
    shown = [listing] if listing.kind == "site" else [listing, _site_listing()]
    path = subscribe_path(listing.path)
    lang = _language_of(listing, config)
    words = words_for(lang)
    heading = (
        words.subscribe
        if listing.kind == "site"
        else words.subscribe_to.format(_heading(listing, config, lang))
    )
    base = config.site.base_url
    opml = urls.absolute(base, "/feeds.opml")
    return _render(
        "subscribe.html",
        **_layout(config, title=f"{heading} · {config.site.title}", path=path, subscribe=listing.path),
        feeds=tuple(_feeds(shown_listing, config) for shown_listing in shown),
        lang=lang,
        heading=heading,
        script=urls.absolute(base, _SCRIPT_PATH),
        subscriptions=tuple(_subscription(shown_listing, config) for shown_listing in shown),
        opml_url=_FeedUrl("OPML", opml),
        categories=tuple(
            _Link(name, urls.absolute(base, subscribe_path(listing_path)))
            for name, listing_path in categories
        ),
        languages=tuple(
            _Link(name, urls.absolute(base, subscribe_path(listing_path))) for name, listing_path in languages
        ),
    )


def _subscription(listing: Listing, config: Config) -> _Subscription:
    feeds = _feeds(listing, config)
    return _Subscription(
        anchor=f"{listing.path.split('/')[1]}-{listing.slug}" if listing.slug else "site",
        title=feeds.title,
        urls=(_FeedUrl("Atom", feeds.atom), _FeedUrl("RSS", feeds.rss), _FeedUrl("JSON Feed", feeds.json)),
        readers=tuple(_Link(name, prefix + quote(feeds.atom, safe="")) for name, prefix in _READERS),
    )


def _site_listing() -> Listing:
    return Listing("site", "", "", "/", ())


def _heading(listing: Listing, config: Config, lang: str) -> str:
    words = words_for(lang)
    if listing.kind == "category":
        return words.category.format(listing.name)
    if listing.kind == "tag":
        return words.tag.format(listing.name)
    if listing.kind == "author":
        return words.author.format(listing.name)
    if listing.kind == "language":
        return words.language.format(language_name(listing.name))
    return config.page.heading


def _language_of(listing: Listing, config: Config) -> str:
    """The language a listing's pages are in: a language listing's own, else the site's."""
    return listing.name if listing.kind == "language" else config.site.language


def _feeds(listing: Listing, config: Config) -> _Feeds:
    base = config.site.base_url
    return _Feeds(
        title=feed_title(listing, config),
        atom=urls.absolute(base, listing.path + urls.ATOM_FILE),
        rss=urls.absolute(base, listing.path + urls.RSS_FILE),
        json=urls.absolute(base, listing.path + urls.JSON_FILE),
    )


def _pager(listing: Listing, current: int, total: int, config: Config) -> _Pager:
    def href(number: int) -> str:
        return urls.absolute(config.site.base_url, _page_path(listing, number))

    return _Pager(
        newer=href(current - 1) if current > 1 else None,
        older=href(current + 1) if current < total else None,
        pages=tuple(
            _PageLink(None, "", False) if n is None else _PageLink(str(n), href(n), n == current)
            for n in page_numbers(current, total)
        ),
    )


def page_numbers(current: int, total: int, around: int = _AROUND) -> list[int | None]:
    """The page numbers a pager shows, in order: the first and the last page, those within
    `around` of the current one, and None for each run of pages left out. A gap of one
    page shows that page instead: "1 2 3" rather than "1 … 3"."""
    shown = sorted({1, total, *range(max(1, current - around), min(total, current + around) + 1)})
    numbers: list[int | None] = [shown[0]]
    for before, n in pairwise(shown):
        if n - before == 2:
            numbers.append(before + 1)
        elif n - before > 2:
            numbers.append(None)
        numbers.append(n)
    return numbers


def _item(entry: Entry, config: Config, tz: tzinfo) -> _Item:
    post = entry.post
    return _Item(
        title=_title(entry),
        url=entry.url,
        excerpt=entry.excerpt,
        category=_category(post.category, config) if post.category else None,
        date=_date(post.date, tz),
    )


def _title(entry: Entry) -> str:
    return entry.post.title or "(untitled)"


def _category(name: str, config: Config) -> _Link:
    return _link(name, urls.category_path, config)


def _link(name: str, path_of: Callable[[str], str], config: Config) -> _Link:
    slug = urls.slugify(name)
    return _Link(name, urls.absolute(config.site.base_url, path_of(slug)) if slug else None)


def _date(moment: datetime, tz: tzinfo) -> _Date:
    """The moment in the site's time zone: RFC 3339 for machines, YYYY-MM-DD for people."""
    local = moment.astimezone(tz)
    return _Date(local.isoformat(timespec="seconds"), local.date().isoformat())
