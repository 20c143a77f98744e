"""Group entries into the listings every output is made from: the whole site,
each category and each tag."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from syndicate.posts import Entry
from syndicate.urls import author_path, category_path, language_path, slugify, tag_path

Kind = Literal["site", "category", "tag", "author", "language"]
Collision = tuple[Kind, str, tuple[str, ...]]  # (kind, slug, the names sharing it)
_PATHS = {"category": category_path, "tag": tag_path, "author": author_path, "language": language_path}


@dataclass(frozen=True)
class Listing:
    kind: Kind
    name: str  # the category or tag as authors write it; "" for the site
    slug: str  # "" for the site
    path: str  # "/", "/categories/<slug>/", "/tags/<slug>/" or "/authors/<slug>/"
    entries: tuple[Entry, ...]  # newest first

    @cached_property
    def fed(self) -> tuple[Entry, ...]:
        """Its entries that go into feeds (not those of `feed: false`), newest first."""
        if all(entry.post.in_feeds for entry in self.entries):
            return self.entries
        return tuple(entry for entry in self.entries if entry.post.in_feeds)

    def named(self) -> Listing:
        """This listing without its entries, for an output that names it and shows only some
        of them: the output outlives this version of the listing (a rebuild reuses it while
        its own entries stay the same), and must not keep every entry of it alive."""
        return replace(self, entries=())


@dataclass(frozen=True)
class Listings:
    site: Listing
    categories: tuple[Listing, ...]  # sorted by slug
    tags: tuple[Listing, ...]  # sorted by slug
    authors: tuple[Listing, ...]  # sorted by slug; none unless the site has several authors
    # Names that share a slug, e.g. ("category", "ai", ("AI", "ai")): merged into one listing,
    # and reported by `check`.
    collisions: tuple[Collision, ...]
    # Sorted by slug, the language tag in lower case; none unless posts are in several.
    languages: tuple[Listing, ...] = ()

    def all(self) -> tuple[Listing, ...]:
        return (self.site, *self.categories, *self.tags, *self.authors, *self.languages)

    def named(self) -> Listings:
        """Every listing without its entries (see Listing.named)."""
        return replace(
            self,
            site=self.site.named(),
            categories=tuple(listing.named() for listing in self.categories),
            tags=tuple(listing.named() for listing in self.tags),
            authors=tuple(listing.named() for listing in self.authors),
            languages=tuple(listing.named() for listing in self.languages),
        )


def make_listings(entries: Sequence[Entry]) -> Listings:
    """`entries` must already be newest first; every listing keeps that order."""
    categories, category_collisions = _group(
        "category", ((e, [e.post.category] if e.post.category else []) for e in entries)
    )
    tags, tag_collisions = _group("tag", ((e, list(e.post.tags)) for e in entries))
    authors, author_collisions = _group("author", ((e, [e.post.author]) for e in entries))
    if len(authors) < 2:
        authors, author_collisions = (), ()
    languages: tuple[Listing, ...] = ()
    if len({entry.post.lang.lower() for entry in entries}) > 1:  # most sites have one
        languages, _ = _group("language", ((e, [e.post.lang]) for e in entries), slug=str.lower)
        if len(languages) < 2:
            languages = ()
    return Listings(
        site=Listing("site", "", "", "/", tuple(entries)),
        categories=categories,
        tags=tags,
        authors=authors,
        collisions=category_collisions + tag_collisions + author_collisions,
        languages=languages,
    )


def replace_entries(listings: Listings, new: Sequence[Entry]) -> Listings:
    """`listings` with the entries of the same files replaced by `new` ones, whose posts are
    in the same place (Post.same_place). Listings without any of them are kept as they are."""
    if not new:
        return listings
    replaced = {entry.post.source: entry for entry in new}

    def update(listing: Listing) -> Listing:
        entries = tuple(replaced.get(entry.post.source, entry) for entry in listing.entries)
        return replace(listing, entries=entries)

    posts = [entry.post for entry in new]
    categories = {slugify(post.category) for post in posts if post.category}
    tags = {slugify(tag) for post in posts for tag in post.tags}
    authors = {slugify(post.author) for post in posts}
    languages = {post.lang.lower() for post in posts}
    return replace(
        listings,
        site=update(listings.site),
        categories=tuple(update(x) if x.slug in categories else x for x in listings.categories),
        tags=tuple(update(x) if x.slug in tags else x for x in listings.tags),
        authors=tuple(update(x) if x.slug in authors else x for x in listings.authors),
        languages=tuple(update(x) if x.slug in languages else x for x in listings.languages),
    )


def _group(
    kind: Literal["category", "tag", "author", "language"],
    tagged: Iterable[tuple[Entry, list[str]]],
    slug: Callable[[str], str] = slugify,
) -> tuple[tuple[Listing, ...], tuple[Collision, ...]]:
    members: dict[str, list[Entry]] = defaultdict(list)
    names: dict[str, set[str]] = defaultdict(set)
    for entry, labels in tagged:
        for label in labels:
            key = slug(label)
            if not key:
                continue
            if not members[key] or members[key][-1] is not entry:
                members[key].append(entry)
            names[key].add(label)
    path = _PATHS[kind]
    listings = tuple(
        # The smallest spelling names a merged listing, so the choice is deterministic.
        Listing(kind, min(names[key]), key, path(key), tuple(members[key]))
        for key in sorted(members)
    )
    collisions = tuple((kind, key, tuple(sorted(names[key]))) for key in sorted(names) if len(names[key]) > 1)
    return listings, collisions
