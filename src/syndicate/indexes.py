"""Lists of what the site has, for programs: every feed in OPML 2.0 (subscribe to all
categories at once), every page in a sitemap, and robots.txt pointing at it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from functools import partial
from xml.etree import ElementTree

from syndicate.config import Config
from syndicate.feeds import feed_title
from syndicate.listings import Listing, Listings
from syndicate.output import Output
from syndicate.urls import ATOM_FILE, absolute

OPML_PATH = "/feeds.opml"
SITEMAP_PATH = "/sitemap.xml"
ROBOTS_PATH = "/robots.txt"
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_GROUPS = (("categories", "Categories"), ("tags", "Tags"), ("authors", "Authors"))


def index_outputs(listings: Listings, pages: Sequence[Output], config: Config) -> list[Output]:
    """`pages` are the HTML pages the sitemap lists."""
    html = [page for page in pages if page.media_type.startswith("text/html")]
    feeds = tuple((listing.kind, listing.path, listing.name) for listing in listings.all())
    sitemap_key = ("sitemap", tuple((page.path, page.last_modified) for page in html))
    return [
        Output(
            OPML_PATH, "text/x-opml; charset=utf-8", None, ("opml", feeds), partial(opml, listings, config)
        ),
        Output(
            SITEMAP_PATH, "application/xml; charset=utf-8", None, sitemap_key, partial(sitemap, html, config)
        ),
        Output(ROBOTS_PATH, "text/plain; charset=utf-8", None, ("robots",), partial(robots, config)),
    ]


def opml(listings: Listings, config: Config) -> bytes:
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = f"{config.site.title}: all feeds"
    ElementTree.SubElement(head, "ownerName").text = config.site.author
    ElementTree.SubElement(head, "docs").text = "https://opml.org/spec2.opml"
    body = ElementTree.SubElement(root, "body")
    _outline(body, listings.site, config)
    for attribute, label in _GROUPS:
        group: tuple[Listing, ...] = getattr(listings, attribute)
        if group:
            folder = ElementTree.SubElement(body, "outline", text=label)
            for listing in group:
                _outline(folder, listing, config)
    return _xml(root)


def _outline(parent: ElementTree.Element, listing: Listing, config: Config) -> None:
    title = feed_title(listing, config)
    ElementTree.SubElement(
        parent,
        "outline",
        type="rss",  # OPML's word for any feed, Atom included
        text=title,
        title=title,
        xmlUrl=absolute(config.site.base_url, listing.path + ATOM_FILE),
        htmlUrl=absolute(config.site.base_url, listing.path),
    )


def sitemap(pages: Sequence[Output], config: Config) -> bytes:
    root = ElementTree.Element("urlset", xmlns=_SITEMAP_NS)
    for page in pages:
        url = ElementTree.SubElement(root, "url")
        ElementTree.SubElement(url, "loc").text = absolute(config.site.base_url, page.path)
        if page.last_modified is not None:
            stamp = page.last_modified.astimezone(UTC).isoformat(timespec="seconds")
            ElementTree.SubElement(url, "lastmod").text = stamp.replace("+00:00", "Z")
    return _xml(root)


def robots(config: Config) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {absolute(config.site.base_url, SITEMAP_PATH)}\n".encode()


def _xml(root: ElementTree.Element) -> bytes:
    ElementTree.indent(root)
    data: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
