"""Atom documents are written with lxml directly: the very bytes feedgen writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from test_feeds import CONFIG, CST, DIRTY, ENTRIES, LISTINGS, make_entry, with_feed

from syndicate import feeds
from syndicate.config import Config
from syndicate.listings import Listing
from syndicate.posts import Entry


def pictured(entry: Entry, image: str) -> Entry:
    return Entry(entry.post, entry.url, entry.content, entry.excerpt, image)


ODD = Listing(
    "tag",
    "odd",
    "odd",
    "/tags/odd/",
    (
        pictured(ENTRIES[0], "https://cdn.example/a.png"),
        make_entry("no-author", "No author", datetime(2026, 1, 10, tzinfo=CST), author="", excerpt=""),
        make_entry(
            "no-slug", "Tags without a slug", datetime(2026, 1, 9, tzinfo=CST), tags=("!!!", "ok"), html=""
        ),
        pictured(ENTRIES[1], "https://cdn.example/b.svg"),
    ),
)

CONFIGS = {
    "plain": CONFIG,
    "summaries": with_feed(content="summary"),
    "icon, logo and hubs": with_feed(
        icon="/icon.png", logo="https://cdn.example/logo.png", websub_hubs=("https://hub.example/",)
    ),
    "archives": with_feed(limit=2),
    "no subtitle, no language": replace(CONFIG, site=replace(CONFIG.site, subtitle="", language="")),
}


def atom_documents(listing: Listing, config: Config) -> list[Any]:
    """Every Atom document of the listing: subscription feed and archives."""
    outputs = [output for part in feeds.listing_feed_parts(listing, config) for output in part.outputs()]
    return [output.make.args[0] for output in outputs if output.make.func is feeds._atom]  # type: ignore[attr-defined]


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("listing", [*LISTINGS.values(), DIRTY, ODD], ids=[*LISTINGS, "dirty", "odd"])
def test_atom_is_what_feedgen_writes(config_name: str, listing: Listing) -> None:
    config = CONFIGS[config_name]
    documents = atom_documents(listing, config)
    assert documents
    for document in documents:
        assert feeds._atom(document, config) == feeds._generator(document, config).atom_str(pretty=True)


def test_archives_are_compared_too() -> None:
    documents = atom_documents(LISTINGS["site"], CONFIGS["archives"])
    assert any(document.archive for document in documents)
    assert any(b"fh:archive" in feeds._atom(document, CONFIGS["archives"]) for document in documents)


def test_an_entry_without_a_title_fails_as_it_does_with_feedgen() -> None:
    untitled = Listing(
        "site", "", "", "/", (make_entry("untitled", "\x00", datetime(2026, 1, 9, tzinfo=CST)),)
    )
    (document,) = atom_documents(untitled, CONFIG)
    with pytest.raises(ValueError):
        feeds._generator(document, CONFIG).atom_str(pretty=True)
    with pytest.raises(ValueError):
        feeds._atom(document, CONFIG)
