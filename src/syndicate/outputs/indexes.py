"""Lists of what the site has, for programs: every feed in OPML 2.0 (subscribe to all
categories at once), every page in a sitemap, and robots.txt pointing at it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from syndicate.config import Config
from syndicate.outputs.feeds import feed_title
from syndicate.outputs.listings import Listing, Listings
from syndicate.outputs.output import Output
from syndicate.urls import ATOM_FILE, absolute

OPML_PATH = "/feeds.opml"
SITEMAP_PATH = "/sitemap.xml"
ROBOTS_PATH = "/robots.txt"
# The most URLs one sitemap may hold (sitemaps.org); past it, /sitemap.xml is an index of
# /sitemap-1.xml, /sitemap-2.xml, ...
SITEMAP_LIMIT = 50_000
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_SITEMAP_TYPE = "application/xml; charset=utf-8"
_XHTML_NS = "http://www.w3.org/1999/xhtml"  # sitemaps' xhtml:link, for a page's translations
_GROUPS = (("categories", "Categories"), ("tags", "Tags"), ("authors", "Authors"), ("languages", "Languages"))

# A page's path, when it last changed, and its versions in other languages, itself among
# them, as (language tag, path): none unless it has translations.
_Page = tuple[str, datetime | None, tuple[tuple[str, str], ...]]
_Versions = Mapping[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class SitemapPages:
    """The pages one sitemap lists. A dataclass, not a bare tuple, so that the key of its
    tens of thousands of items is worked out once a build (key_of keeps it here), not
    once for each description that holds them."""

    pages: tuple[_Page, ...]


@dataclass(frozen=True)
class SiteContents:
    """What the indexes are made from: every listing by name (what the OPML shows, and no
    entry kept alive) and every page of the site. Equal from one build to the next unless
    a listing or a page came or went, or a page's date moved."""

    listings: Listings
    pages: SitemapPages


def site_contents(listings: Listings, pages: Sequence[Output], versions: _Versions) -> SiteContents:
    """`pages` are the pages the sitemap lists (outputs of kind "page"); `versions`, by
    page path, those that have translations (syndicate.languages.translation_groups)."""
    listed = tuple([(page.path, page.last_modified, versions.get(page.path, ())) for page in pages])
    return SiteContents(listings.named(), SitemapPages(listed))


def index_outputs(contents: SiteContents) -> list[Output]:
    return [
        Output("index", OPML_PATH, "text/x-opml; charset=utf-8", None, opml, (contents.listings,)),
        *_sitemap_outputs(contents.pages),
        Output("index", ROBOTS_PATH, "text/plain; charset=utf-8", None, robots, ()),
    ]


def _sitemap_outputs(listed: SitemapPages) -> list[Output]:
    """The sitemap, made when asked for: every page that comes or goes changes it, crawlers
    read it seldom, and at 10,000 posts making it took a fifth of a rebuild adding a post."""
    pages = listed.pages
    if len(pages) <= SITEMAP_LIMIT:
        return [Output("index", SITEMAP_PATH, _SITEMAP_TYPE, None, sitemap, (listed,), on_demand=True)]
    outputs = []
    parts: list[_Page] = []
    for number, start in enumerate(range(0, len(pages), SITEMAP_LIMIT), 1):
        chunk = pages[start : start + SITEMAP_LIMIT]
        path = f"/sitemap-{number}.xml"
        modified = max((when for _, when, _ in chunk if when is not None), default=None)
        parts.append((path, modified, ()))
        made_from = (SitemapPages(chunk),)
        outputs.append(Output("index", path, _SITEMAP_TYPE, None, sitemap, made_from, on_demand=True))
    index = Output("index", SITEMAP_PATH, _SITEMAP_TYPE, None, sitemap_index, (SitemapPages(tuple(parts)),))
    return [index, *outputs]


def opml(listings: Listings, config: Config) -> bytes:
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{config.site.title}: all feeds"
    etree.SubElement(head, "ownerName").text = config.site.author
    etree.SubElement(head, "docs").text = "https://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    _outline(body, listings.site, config)
    for attribute, label in _GROUPS:
        group: tuple[Listing, ...] = getattr(listings, attribute)
        if group:
            folder = etree.SubElement(body, "outline", text=label)
            for listing in group:
                _outline(folder, listing, config)
    return _xml(root)


def _outline(parent: etree._Element, listing: Listing, config: Config) -> None:
    title = feed_title(listing, config)
    etree.SubElement(
        parent,
        "outline",
        type="rss",  # OPML's word for any feed, Atom included
        text=title,
        title=title,
        xmlUrl=absolute(config.site.base_url, listing.path + ATOM_FILE),
        htmlUrl=absolute(config.site.base_url, listing.path),
    )


def sitemap(listed: SitemapPages, config: Config) -> bytes:
    return _sitemap("urlset", "url", listed.pages, config)


def sitemap_index(parts: SitemapPages, config: Config) -> bytes:
    return _sitemap("sitemapindex", "sitemap", parts.pages, config)


def _sitemap(root_name: str, item_name: str, items: Sequence[_Page], config: Config) -> bytes:
    translated = any(versions for _, _, versions in items)
    nsmap = {None: _SITEMAP_NS, "xhtml": _XHTML_NS} if translated else {None: _SITEMAP_NS}
    root = etree.Element(root_name, nsmap=nsmap)
    item_tag, loc_tag, lastmod_tag = (f"{{{_SITEMAP_NS}}}{name}" for name in (item_name, "loc", "lastmod"))
    stamps: dict[datetime, str] = {}  # many pages share a date
    for path, modified, versions in items:
        item = etree.SubElement(root, item_tag)
        etree.SubElement(item, loc_tag).text = absolute(config.site.base_url, path)
        if modified is not None:
            stamp = stamps.get(modified)
            if stamp is None:
                stamp = stamps[modified] = modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            etree.SubElement(item, lastmod_tag).text = stamp
        for tag, page in versions:
            href = absolute(config.site.base_url, page)
            etree.SubElement(item, f"{{{_XHTML_NS}}}link", rel="alternate", hreflang=tag, href=href)
    return _xml(root)


def robots(config: Config) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {absolute(config.site.base_url, SITEMAP_PATH)}\n".encode()


def _xml(root: etree._Element) -> bytes:
    data: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
    return data
