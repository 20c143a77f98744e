"""The Build: every byte the site serves, as an immutable map from URL path
to a Resource. A pure function of (posts, configuration, now): the same store
gives the same bytes, ETags and dates on every machine."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from itertools import chain
from pathlib import Path
from types import MappingProxyType

from syndicate.build.resource import OnDemand, Resource, Stored, etag_of, stored_resource
from syndicate.caching.diskcache import DiskCache
from syndicate.caching.fingerprint import code_fingerprint
from syndicate.config import Config
from syndicate.languages import translation_groups
from syndicate.outputs.feeds import listing_feed_parts, too_large_for_feeds
from syndicate.outputs.indexes import index_outputs, site_contents
from syndicate.outputs.listings import Collision, Listing, Listings, make_listings, replace_entries
from syndicate.outputs.output import Output, key_of
from syndicate.outputs.pages import (
    listing_page_parts,
    not_found_output,
    post_categories,
    post_category,
    post_page_output,
    static_outputs,
)
from syndicate.posts import Entry, Post, Problem
from syndicate.render.renderer import Renderer
from syndicate.source.store import Asset, StoreResult
from syndicate.urls import post_path
from syndicate.workers.parallel import make_in_batches, worker_count


@dataclass(frozen=True)
class Build:
    resources: Mapping[str, Resource]  # path -> resource, read-only
    made_at: datetime  # the `now` it was made for; never written into a resource
    published: tuple[Post, ...]  # newest first
    problems: tuple[Problem, ...]
    collisions: tuple[Collision, ...]  # names that share a slug, merged into one listing
    next_due: datetime | None  # when the next scheduled (future, non-draft) post is due


_Inputs = tuple[tuple[Post, ...], tuple[Asset, ...]]


_BATCH = 500  # outputs made, or found in the disk cache, at a time
# (a listing's path, "page 3"), ("post", its slug), ("asset", its path), ...
_Name = tuple[str, str]


@dataclass(frozen=True)
class _Unit:
    """A part of the site that is remade as a whole or not at all: one page of a listing,
    its subscription feeds or one of its archives, one post's page, the indexes, one asset,
    the static files. `inputs` is the key of what its outputs are made from (key_of);
    while it is the same, its resources are reused as they are, without even describing
    its outputs again."""

    inputs: Hashable
    outputs: tuple[Output, ...]
    resources: tuple[Resource, ...]
    # What `inputs` is the key of: the very same objects again have the same key, which a
    # rebuild then need not work out (at 10,000 posts, 15,000 units, most unchanged).
    made_from: tuple[object, ...] = ()


class Builder:
    """Makes Builds, remembering what it rendered and made so that the next Build only
    makes what changed. It never changes a byte of the result: a new Builder gives the same."""

    def __init__(self, config: Config, cache_dir: Path | None = None) -> None:
        self.config = config
        self.renderer = Renderer(config, cache_dir)
        # What earlier processes made, so a restart makes nothing that did not change.
        self._disk = DiskCache(cache_dir, "outputs") if cache_dir is not None else None
        # Outputs are made from these sections only. How the server runs and the build is
        # scheduled (port, logs, interval, workers) must not make a large site's next start
        # remake everything, and where the store lives is in no output: replicas that read
        # it at other paths give the same ETags to what is made on demand.
        made_from = (config.site, config.excerpt, config.feed, config.page)
        # Every output's name starts from this hash (see _name): copied, not hashed again.
        self._named = hashlib.sha256(f"{code_fingerprint()}{made_from!r}|".encode())
        self._workers = worker_count(config.build.workers)
        self._units: dict[_Name, _Unit] = {}  # what the last build made, by unit
        self._listed: tuple[list[Entry], Listings] | None = None  # the last entries, grouped
        # By listing path: the listing the last build had there, and the names of its units.
        self._listing_units: dict[str, tuple[Listing, list[_Name]]] = {}
        # Post page path -> every version of its text (syndicate.languages.translation_groups).
        self._versions: dict[str, tuple[tuple[str, str], ...]] = {}
        self.made = 0  # resources the last build had to make (not those made on demand or deferred)
        # The published posts and images the last resources were made from, and what was made.
        self._last: tuple[_Inputs, _Made] | None = None
        self._build: Build | None = None
        # What the last build left for settle() to make (Output.deferred), by key.
        self._unsettled: dict[Hashable, Output] = {}

    def build(self, store: StoreResult, now: datetime) -> Build:
        """The Build of `store` at `now`; the very same Build as last time if nothing changed."""
        self.settle()  # what the last build left, if its Build was not settled once served
        published, due = _split_by_date(store.posts, now)
        inputs = (published, store.assets)
        if self._last is None or self._last[0] != inputs:  # else only problems or next_due changed
            self._last = (inputs, self._make(published, store))
        else:
            self.made = 0
        made = self._last[1]
        problems = tuple(sorted([*store.problems, *made.problems], key=_problem_order))
        next_due = min((post.date for post in due if not post.draft), default=None)
        previous = self._build
        if (
            previous is not None
            and previous.resources is made.resources
            and previous.problems == problems
            and previous.next_due == next_due
        ):
            return previous
        self._build = Build(
            resources=made.resources,
            made_at=now,
            published=made.published,
            problems=problems,
            collisions=made.collisions,
            next_due=next_due,
        )
        return self._build

    def _make(self, published: tuple[Post, ...], store: StoreResult) -> _Made:
        last = self._listed
        entries = self.renderer.entries(list(published), store.root)
        edited = self._edited_in_place(entries, store.assets)
        if edited is None:  # an edit in place keeps every post's translation, lang and slug
            posts = [
                (entry.post.translation, entry.post.lang, post_path(entry.post.slug)) for entry in entries
            ]
            self._versions = translation_groups(posts)
        units: dict[_Name, _Unit] = {}
        changed: list[_Name] = []  # units whose outputs were listed again: resources to find
        if last is not None and edited is not None:
            # Posts edited in place: start from the last units, and list again only the
            # listings that hold them and their pages.
            listings = replace_entries(last[1], [new for _, new in edited])
            units = dict(self._units)
            self._list_listings(units, changed, listings)
            for _, entry in edited:
                self._list_post(units, changed, listings, entry, post_category(listings, entry))
        else:
            listings = make_listings(entries)
            self._list_listings(units, changed, listings)
            for entry, category in post_categories(listings):
                self._list_post(units, changed, listings, entry, category)
        self._listed = (entries, listings)
        # The indexes name every listing and page: made again when one comes or goes.
        pages = [output for unit in units.values() for output in unit.outputs if output.kind == "page"]
        contents = site_contents(listings, pages, self._versions)
        self._list(units, changed, ("indexes", ""), (contents,), partial(index_outputs, contents))
        if edited is None:
            # Ours, then the store's images: a favicon.svg of the store never replaces ours.
            self._list(units, changed, ("static", ""), (), _site_files)
            for asset in store.assets:
                self._list(units, changed, ("asset", asset.path), (asset,), partial(_asset_outputs, asset))

        reusable = {name: self._reusable(name) for name in changed}
        wanted: dict[Hashable, Output] = {}
        for name in changed:
            for output in units[name].outputs:
                if output.key not in reusable[name]:
                    wanted.setdefault(output.key, output)
        made = self._make_wanted(wanted, everything=not self._units)
        for name in changed:
            unit = units[name]
            found = tuple(reusable[name].get(output.key) or made[output.key] for output in unit.outputs)
            units[name] = replace(unit, resources=found)
        self._units = units  # forget what the store no longer has

        resources: dict[str, Resource] = {}
        owners: dict[str, str] = {}
        hidden = []
        for name, unit in units.items():
            for output, resource in zip(unit.outputs, unit.resources, strict=True):
                if output.path not in resources:  # the first wins: pages, feeds, our files, then the store's
                    resources[output.path] = resource
                    owners[output.path] = name[0]
                elif name[0] == "asset":
                    winner = "the site's own file" if owners[output.path] == "static" else "a page or feed"
                    message = f"not served: {winner} has the same path"
                    hidden.append(Problem(output.path[1:], 1, message, "warning"))
        failed = tuple(self.renderer.failed.values())  # posts that could not be rendered: skipped
        warned = self.renderer.warnings()  # formulas left as their source: published, reported
        shown = tuple(entry.post for entry in entries) if failed else published
        too_large = too_large_for_feeds(shown, self.config)  # published, in feeds by their summary
        return _Made(
            MappingProxyType(resources), listings.collisions, (*hidden, *failed, *warned, *too_large), shown
        )

    def _edited_in_place(
        self, entries: list[Entry], assets: tuple[Asset, ...]
    ) -> list[tuple[Entry, Entry]] | None:
        """(old, new) for each post edited in place since the last build, when that is all
        that changed (the common case, and cheap to build); else None."""
        last = self._listed
        if last is None or len(last[0]) != len(entries) or self._last is None or self._last[0][1] != assets:
            return None
        edited = []
        for old, new in zip(last[0], entries, strict=True):
            if old.post.version != new.post.version:
                if not old.post.same_place(new.post):
                    return None
                unit = self._units.get(("post", old.post.slug))
                if unit is None or not isinstance(unit.inputs, tuple) or unit.inputs[0] != old.post.version:
                    return None  # a slug shared with another post
                edited.append((old, new))
        return edited

    def _list_listings(self, units: dict[_Name, _Unit], changed: list[_Name], listings: Listings) -> None:
        """The units of every listing: a listing equal to the last build's at its path has the
        same units (its pages and feeds are made from it alone); the others are listed again.
        A new post changes the few listings it is in, of hundreds."""
        last = self._listing_units
        self._listing_units = {}
        for listing in listings.all():
            known = last.get(listing.path)
            if known is not None and known[0] == listing:
                names = known[1]
                units.update((name, self._units[name]) for name in names)
            else:
                names = []
                parts = [*listing_page_parts(listing, self.config), *listing_feed_parts(listing, self.config)]
                for part in parts:
                    names.append((listing.path, part.name))
                    self._list(units, changed, names[-1], part.inputs, part.outputs)
            self._listing_units[listing.path] = (listing, names)

    def _list_post(
        self,
        units: dict[_Name, _Unit],
        changed: list[_Name],
        listings: Listings,
        entry: Entry,
        category: Listing | None,
    ) -> None:
        has_authors = bool(listings.authors)
        versions = self._versions.get(post_path(entry.post.slug), ())
        inputs = (entry, category.name if category else None, has_authors, versions)
        make = partial(_post_outputs, entry, category, has_authors, versions)
        self._list(units, changed, ("post", entry.post.slug), inputs, make)

    def _list(
        self,
        units: dict[_Name, _Unit],
        changed: list[_Name],
        name: _Name,
        inputs: tuple[object, ...],
        make_outputs: Callable[[], Iterable[Output]],
    ) -> None:
        """Reuse the unit `name` whole if the key of its inputs is the last build's (that of
        an empty tuple never is); else describe its outputs again, to find their resources."""
        known = self._units.get(name)
        if known is not None and inputs and known.made_from == inputs:  # Entries: by identity
            units[name] = known
            return
        key = key_of(inputs) if inputs else None
        if known is not None and key is not None and known.inputs == key:
            units[name] = replace(known, made_from=inputs)
            return
        units[name] = _Unit(key, tuple(make_outputs()), (), inputs)
        changed.append(name)

    def _shared(self) -> list[Entry]:
        """What many outputs are made from: each worker that makes them is sent it once."""
        return self._listed[0] if self._listed is not None else []

    def _reusable(self, name: _Name) -> dict[Hashable, Resource]:
        """What the unit made last time, by key."""
        known = self._units.get(name)
        if known is None:
            return {}
        return {output.key: resource for output, resource in zip(known.outputs, known.resources, strict=True)}

    def _name(self, key: Hashable) -> str:
        """What an output's bytes are kept under: its key and everything the key leaves out
        (the code and the settings outputs are made from)."""
        named = self._named.copy()
        named.update(repr(key).encode())
        return named.hexdigest()

    def _etag(self, key: Hashable) -> str:
        """The strong ETag of an output made on demand: the same key gives the same bytes, on
        every machine that runs the same code with the same settings."""
        return '"' + self._name(key)[:32] + '"'

    def _make_wanted(self, wanted: dict[Hashable, Output], everything: bool) -> dict[Hashable, Resource]:
        """Resources for outputs no earlier build of this process made: those made on demand
        described only; the others from the disk cache where an earlier process made them,
        else made now (and kept on disk). With a disk cache, a batch at a time: a cold
        site's bytes are never all in memory at once."""
        on_demand = {key: output for key, output in wanted.items() if output.on_demand}
        resources = {
            key: _resource_of(OnDemand(partial(output.make, self.config)), self._etag(key), output)
            for key, output in on_demand.items()
        }
        # Deferred outputs: a first build makes them with the others, on every core; a later
        # one leaves them to settle(), once its Build is served. Without a disk cache, the
        # bytes of every output are in memory: they are made now.
        disk = None if everything else self._disk
        outputs = []
        for key, output in wanted.items():
            if output.on_demand:
                continue
            if output.deferred and disk is not None:
                content = Stored(disk, self._name(key), partial(output.make, self.config))
                resources[key] = _resource_of(content, self._etag(key), output)
                self._unsettled[key] = output
            else:
                outputs.append((key, output))
        return resources | self._make_now(outputs, everything)

    def settle(self) -> None:
        """Make the deferred outputs the last build left (see Output.deferred) and keep them
        in the disk cache, those it does not hold yet. Until then, each is made when asked
        for, with the same bytes."""
        pending, self._unsettled = self._unsettled, {}
        if self._disk is None or not pending:
            return
        names = {key: self._name(key) for key in pending}
        found = self._disk.get_many(_etag_name(name) for name in names.values())
        making = [
            partial(_made, names[key], output, self.config, self._etag(key))
            for key, output in pending.items()
            if _etag_name(names[key]) not in found
        ]
        for _ in make_in_batches(making, _BATCH, partial(_keep, self._disk), self._workers):
            pass  # kept on disk by _keep; the Build's resources read them there

    def _make_now(self, outputs: list[tuple[Hashable, Output]], everything: bool) -> dict[Hashable, Resource]:
        if self._disk is None:
            self.made = len(outputs)
            makers = [partial(output.make, self.config) for _, output in outputs]
            made = chain.from_iterable(
                make_in_batches(makers, _BATCH, list, self._workers, shared=self._shared())
            )
            return {
                key: _resource_of(body, self._etag(key) if output.deferred else etag_of(body), output)
                for (key, output), body in zip(outputs, made, strict=True)
            }
        resources: dict[Hashable, Resource] = {}
        names = {key: self._name(key) for key, _ in outputs}
        # An output's ETag is kept beside its body: a restart reads only the ETags.
        tags = {key: _etag_name(name) for key, name in names.items()}
        found = self._disk.get_many(tags.values())
        etags = {key: found[tag].decode() for key, tag in tags.items() if tag in found}
        missing = [(key, output) for key, output in outputs if key not in etags]
        self.made = len(missing)
        making = [
            partial(_made, names[key], output, self.config, self._etag(key) if output.deferred else None)
            for key, output in missing
        ]
        keep = partial(_keep, self._disk)
        kept = chain.from_iterable(
            make_in_batches(making, _BATCH, keep, self._workers, shared=self._shared())
        )
        for (key, output), (etag, body) in zip(missing, kept, strict=True):
            etags[key] = etag
            if body is not None:
                resources[key] = _resource_of(body, etag, output)
        for key, output in outputs:
            if key not in resources:
                content = Stored(self._disk, names[key], partial(output.make, self.config))
                resources[key] = _resource_of(content, etags[key], output)
        # With the whole site's names (a first build), what the cache holds beyond them is stale.
        if everything and self._disk.oversized(2 * len(names)):  # a body and an ETag each
            self._disk.keep_only({*names.values(), *map(_etag_name, names.values())})
        return resources


@dataclass(frozen=True)
class _Made:
    resources: Mapping[str, Resource]
    collisions: tuple[Collision, ...]
    problems: tuple[Problem, ...]  # the store's files hidden by a page or feed, posts not rendered
    published: tuple[Post, ...]  # the published posts that were rendered: all but a few, if any


def _resource_of(content: bytes | Stored | OnDemand, etag: str, output: Output) -> Resource:
    return stored_resource(content, etag, output.kind, output.media_type, output.posting_interval)


def _etag_name(name: str) -> str:
    return name + ":etag"


def _made(name: str, output: Output, config: Config, etag: str | None) -> tuple[str, bytes, str]:
    """An output's bytes kept under `name`, with their ETag: `etag` where that derives from
    the output's key, else the bytes' own."""
    body = output.make(config)
    return name, body, etag or etag_of(body)


def _keep(disk: DiskCache, made: list[tuple[str, bytes, str]]) -> list[tuple[str, bytes | None]]:
    """Write made outputs to the disk cache (in the worker that made them): their ETags,
    and the bodies it could not keep, which stay in memory instead."""
    rows: dict[str, bytes] = {}
    for name, body, etag in made:
        rows[name], rows[_etag_name(name)] = body, etag.encode()
    disk.put_many(rows)
    kept = disk.usable
    return [(etag, None if kept else body) for _, body, etag in made]


def _split_by_date(posts: tuple[Post, ...], now: datetime) -> tuple[tuple[Post, ...], tuple[Post, ...]]:
    """(the published posts, the posts dated after `now`), of posts sorted newest first."""
    moment = now.timestamp()
    first_past = bisect.bisect_left(posts, -moment, key=lambda post: post.newest_first[0])
    return tuple(post for post in posts[first_past:] if not post.draft), posts[:first_past]


def _problem_order(problem: Problem) -> tuple[str, int, str]:
    return (problem.path, problem.line, problem.message)


def _post_outputs(
    entry: Entry, category: Listing | None, has_author_pages: bool, versions: tuple[tuple[str, str], ...]
) -> list[Output]:
    return [post_page_output(entry, category, has_author_pages, versions)]


def make_build(store: StoreResult, config: Config, now: datetime) -> Build:
    """The Build of `store` at `now`: a pure function of its arguments."""
    return Builder(config).build(store, now)


def _site_files() -> list[Output]:
    """The site's own files: the stylesheet, the icon and the 404 page."""
    return [*static_outputs(), not_found_output()]


def _asset_outputs(asset: Asset) -> list[Output]:
    return [Output("asset", asset.path, asset.media_type, None, _asset_bytes, (asset,))]


def _asset_bytes(asset: Asset, config: Config) -> bytes:
    return asset.data
