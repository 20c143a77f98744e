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
# The schemes of a post id published as the entry id just as it is: identifiers (RFC 4151
# tag:, URNs) and web addresses, the ids WordPress, Blogger and most feeds give. Any other
# absolute URI (javascript:, data:, file:, ...) names no entry, and readers that take an
# entry's id for its link would follow it.
ID_SCHEMES = ("tag", "urn", "http", "https")

# A slug names a folder of `build --out`. ext4 and most others take 255 bytes a name,
# NTFS, exFAT and FAT 255 UTF-16 units; 200 bytes of UTF-8 fits all of them with room.
MAX_SLUG_BYTES = 200
# Names Windows keeps for devices, whatever follows a dot: a folder "con" cannot be made.
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{kind}{digit}" for kind in ("com", "lpt") for digit in "0123456789¹²³"]
)

# Every listing's feeds live beside its first page: "/atom.xml", "/tags/llm/atom.xml", ...
ATOM_FILE = "atom.xml"
RSS_FILE = "rss.xml"
JSON_FILE = "feed.json"


@lru_cache(maxsize=65536)  # the same few category and tag names, over and over
def slugify(name: str) -> str:
    """A readable slug: letters of any script and digits, lower-cased, joined by '-'."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return _NOT_SLUG.sub("-", text).replace("_", "-").strip("-")


def unfit_slug(slug: str) -> str | None:
    """Why `slug` cannot name a folder on every common file system, to follow "the slug 'x'"."""
    size = len(slug.encode("utf-8", "surrogatepass"))
    if size == 0:
        return "is empty: set a 'slug' of letters and digits"
    if size > MAX_SLUG_BYTES:
        return f"is {size:,} bytes long, more than the {MAX_SLUG_BYTES} a file name may have everywhere"
    if slug.split(".", 1)[0].casefold() in _RESERVED:
        return "is a name Windows keeps for a device"
    if slug.endswith("."):
        return "ends with '.', which Windows drops from file names"
    return None


def folder_key(slug: str) -> str:
    """What two slugs share when they could name the same folder on some common file
    system: macOS's and Windows' ignore case (compared here by Unicode case folding, a
    little stricter than either: 'Straße' is 'STRASSE')."""
    return unicodedata.normalize("NFC", slug).casefold()


def post_path(slug: str) -> str:
    return f"/posts/{slug}/"


def category_path(slug: str) -> str:
    return f"/categories/{slug}/"


def tag_path(slug: str) -> str:
    return f"/tags/{slug}/"


def author_path(slug: str) -> str:
    return f"/authors/{slug}/"


def language_path(slug: str) -> str:
    return f"/languages/{slug}/"


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


def foreign_scheme(post_id: str) -> str | None:
    """The scheme, lower-cased, of a post id that is an absolute URI of a scheme not in
    ID_SCHEMES: such an id is refused (by the store and by import). None for every other
    id, including text that is no URI, which becomes a tag: URI."""
    if not _ABSOLUTE_IRI.match(post_id):
        return None
    scheme = post_id.split(":", 1)[0].lower()
    return None if scheme in ID_SCHEMES else scheme


def tag_uri(authority: str, post_id: str) -> str:
    """The id of an entry in every feed: stable across URL changes and edits.

    An RFC 4151 tag: URI made from the post's id, unless that id already is an absolute
    IRI of one of ID_SCHEMES (an id imported from another platform): then it is the entry
    id unchanged, so readers of the old feed see the same entries.
    """
    if _ABSOLUTE_IRI.match(post_id) and foreign_scheme(post_id) is None:
        return post_id
    specific = quote(post_id, safe="/?:@!$&'()*+,;=-._~")
    return f"tag:{authority}:{specific}"
