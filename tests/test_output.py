"""An output is a plain description: it pickles (a worker makes it from a copy), and its
key follows what it is made from, never which objects hold it."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import make_config, write

from syndicate.config import Config
from syndicate.outputs.feeds import feed_outputs
from syndicate.outputs.indexes import index_outputs, site_contents
from syndicate.outputs.listings import make_listings
from syndicate.outputs.output import Output, key_of
from syndicate.outputs.pages import not_found_output, page_outputs, static_outputs
from syndicate.posts import Post
from syndicate.render.renderer import Renderer
from syndicate.source.store import PostStore

POST = "---\ntitle: Post {n}\ndate: 2026-01-{n:02d}\ncategory: c{c}\ntags: [t{n}]\n---\n{body}\n"


def outputs_of(config: Config, cache: Path | None) -> list[Output]:
    """Every output of the store's site, its posts rendered by a new Renderer."""
    result = PostStore(config).load()
    entries = Renderer(config, cache).entries(list(result.posts), result.root)
    listings = make_listings(entries)
    pages = page_outputs(listings, config)
    listed = [output for output in pages if output.kind == "page"]
    site_files = [*static_outputs(), not_found_output()]
    indexes = index_outputs(site_contents(listings, listed, {}))
    return [*pages, *feed_outputs(listings, config), *indexes, *site_files]


@pytest.fixture
def config(store: Path) -> Config:
    for n in range(1, 31):
        write(store, f"p{n:02}.md", POST.format(n=n % 28 + 1, c=n % 3, body=f"Body of *post {n}*."))
    return make_config(store)


@pytest.mark.parametrize("cached", [True, False])
def test_every_output_made_from_a_pickled_copy_is_the_same(
    config: Config, tmp_path: Path, cached: bool
) -> None:
    outputs = outputs_of(config, tmp_path / "cache" if cached else None)
    assert {output.kind for output in outputs} == {"page", "feed", "archive", "index", "static", "not_found"}
    copies = pickle.loads(pickle.dumps(outputs))
    for output, copy in zip(outputs, copies, strict=True):
        assert copy.key == output.key
        assert copy.make(config) == output.make(config), output.path


def test_keys_follow_the_posts_files_not_the_objects(config: Config, store: Path) -> None:
    first = {output.path: output.key for output in outputs_of(config, None)}
    assert outputs_of(config, None) != []  # new Posts, Entries and Listings, equal keys:
    assert {output.path: output.key for output in outputs_of(config, None)} == first
    write(store, "p05.md", POST.format(n=6, c=2, body="Edited."))
    edited = {output.path: output.key for output in outputs_of(config, None)}
    assert edited.keys() == first.keys()
    changed = {path for path in first if edited[path] != first[path]}
    assert "/posts/p05/" in changed and "/posts/p04/" not in changed
    assert {"/categories/c2/atom.xml", "/categories/c2/feed.json", "/tags/t6/rss.xml"} <= changed
    assert not changed & {"/categories/c0/atom.xml", "/tags/t7/atom.xml", "/style.css", "/404.html"}


def module_level(config: Config) -> bytes:
    return b""


@pytest.mark.parametrize("value", [object(), lambda config: b"", {"a": 1}])
def test_a_value_without_a_meaning_as_a_key_is_refused(value: object) -> None:
    with pytest.raises(TypeError, match="no key for"):
        key_of(("page", value))


def test_a_key_names_its_maker_and_keeps_its_plain_values() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    output = Output("page", "/a/", "text/html", when, module_level, (1, "x", None, b"data"))
    hash(output.key)
    assert "test_output.module_level" in output.key  # type: ignore[operator]
    assert key_of(b"data") != key_of(b"other")


@dataclass(frozen=True)
class _Described:
    pages: tuple[tuple[str, datetime | None], ...]  # plain: the values are their own key
    posts: tuple[Post, ...]  # not plain: each post stands for its version


def test_a_dataclass_keys_its_plain_fields_as_they_are_and_the_others_by_meaning(
    config: Config,
) -> None:
    posts = PostStore(config).load().posts
    again = PostStore(config).load().posts  # other objects, the same files
    when = datetime(2026, 1, 1, tzinfo=UTC)
    pages = (("/a/", when), ("/b/", None))
    key = key_of(_Described(pages, posts[:2]))
    assert key == ("_Described", pages, (posts[0].version, posts[1].version))
    assert key_of(_Described(tuple(list(pages)), again[:2])) == key
    assert key_of(_Described((("/a/", when), ("/c/", None)), posts[:2])) != key
    assert key_of(_Described(pages, posts[1:3])) != key
