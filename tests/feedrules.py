"""The W3C Feed Validation Service's rules that syndicate's feeds could break, as a
checker the tests run offline (the service is not a package; these are read from what
it reports, not taken from its code).

Each finding is one line `RuleName: where`. Errors and warnings alike: a feed should
give none.
"""

from __future__ import annotations

import re

from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
HISTORY = "{http://purl.org/syndication/history/1.0}"
# RSS 2.0 elements of plain text, whose `<` or `&` the validator asks to write by number.
RSS_TEXT = re.compile(rb"^\s*<(title|category|author|copyright|source)\b")
ESCAPED = re.compile(rb"&lt;|&amp;|&#60;|&#38;|<!\[CDATA\[")


def findings(data: bytes) -> list[str]:
    root = etree.fromstring(data)
    found = _media_groups(root)
    if root.tag == ATOM + "feed":
        found += _archive_links(root) + _duplicate_updated(root) + _blank_text(root)
    elif root.tag == "rss":
        found += _character_data(data)
    return found


def _media_groups(root: etree._Element) -> list[str]:
    """MediaGroupWithoutAlternatives (an error): a group is for two or more contents."""
    return [
        f"MediaGroupWithoutAlternatives: line {group.sourceline}"
        for group in root.iter(MEDIA + "group")
        if len(group.findall(MEDIA + "content")) < 2
    ]


def _archive_links(root: etree._Element) -> list[str]:
    """MissingCurrentInArchive and ArchiveIncomplete: an archive names its subscription
    document and a neighbouring archive. A listing's only archive has no neighbour that
    RFC 5005 would let it link to, so that case alone is not counted."""
    if root.find(HISTORY + "archive") is None:
        return []
    rels = {link.get("rel") for link in root.findall(ATOM + "link")}
    found = [] if "current" in rels else ["MissingCurrentInArchive"]
    if not rels & {"prev-archive", "next-archive"} and not _only_archive(root):
        found.append("ArchiveIncomplete")
    return found


def _only_archive(root: etree._Element) -> bool:
    self_link = next(
        (link.get("href", "") for link in root.findall(ATOM + "link") if link.get("rel") == "self"), ""
    )
    return self_link.endswith("/archive/1/atom.xml")


def _duplicate_updated(root: etree._Element) -> list[str]:
    """DuplicateUpdated: two entries whose atom:updated is the same text."""
    seen: set[str] = set()
    found = []
    for updated in root.iterfind(f"{ATOM}entry/{ATOM}updated"):
        text = (updated.text or "").strip()
        if text in seen:
            found.append(f"DuplicateUpdated: {text}")
        seen.add(text)
    return found


def _blank_text(root: etree._Element) -> list[str]:
    """NotBlank: an Atom text construct with nothing in it."""
    names = ("title", "subtitle", "rights", "summary", "content")
    return [
        f"NotBlank: {element.tag.removeprefix(ATOM)} at line {element.sourceline}"
        for name in names
        for element in root.iter(ATOM + name)
        if not element.text and len(element) == 0 and element.get("src") is None
    ]


def _character_data(data: bytes) -> list[str]:
    """CharacterData: RSS 2.0 plain text holding `<` or `&` as an entity, or in CDATA, on a
    line with no `&#x` (which the validator takes for the author's intent)."""
    return [
        f"CharacterData: line {number}: {line.strip().decode()[:60]}"
        for number, line in enumerate(data.split(b"\n"), 1)
        if RSS_TEXT.match(line) and ESCAPED.search(line) and b"&#x" not in line
    ]
