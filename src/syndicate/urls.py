"""Where things live: slugs, site paths and absolute URLs, tag: ids.

Paths are kept as readable text ("/categories/强化学习/"); they are
percent-encoded only when written into a link.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote

_NOT_SLUG = re.compile(r"[^\w]+")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:\S+$")

# Every listing's feeds live beside its first page: "/atom.xml", "/tags/llm/atom.xml", ...
ATOM_FILE = "atom.xml"
RSS_FILE = "rss.xml"
JSON_FILE = "feed.json"


@lru_cache(maxsize=65536)  # the same few category and tag names, over and over
def slugify(name: str) -> str:
    """A readable slug: letters of any script and digits, lower-cased, joined by '-'."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return _NOT_SLUG.sub("-", text).replace("_", "-").strip("-")


def post_path(slug: str) -> str:
    return f"/posts/{slug}/"


def category_path(slug: str) -> str:
    return f"/categories/{slug}/"


def tag_path(slug: str) -> str:
    return f"/tags/{slug}/"


def author_path(slug: str) -> str:
    return f"/authors/{slug}/"


def page_path(listing_path: str, number: int) -> str:
    """Page `number` (2 and up) of the listing rooted at `listing_path`, counted from the
    newest entries; page 1 is `listing_path` itself."""
    return f"{listing_path}page/{number}/"


def first_page_alias(path: str) -> str | None:
    """The listing path that `path` names as its page 1 (".../page/1/", slash or not), so
    that it can redirect there; else None."""
    for alias in ("page/1/", "page/1"):
        if path.endswith("/" + alias):
            return path.removesuffix(alias)
    return None


@lru_cache(maxsize=262144)  # the same paths, build after build
def absolute(base_url: str, path: str) -> str:
    """The absolute URL of a site path; `base_url` ends with '/'."""
    return base_url + quote(path.lstrip("/"), safe="/-._~!$&'()*+,;=:@%")


def tag_uri(authority: str, post_id: str) -> str:
    """The id of an entry in every feed: stable across URL changes and edits.

    An RFC 4151 tag: URI made from the post's id, unless that id already is an absolute
    IRI (an id imported from another platform): then it is the entry id unchanged, so
    readers of the old feed see the same entries.
    """
    if _ABSOLUTE_IRI.match(post_id):
        return post_id
    specific = quote(post_id, safe="/?:@!$&'()*+,;=-._~")
    return f"tag:{authority}:{specific}"
