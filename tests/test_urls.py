"""Slugs, absolute URLs and entry ids."""

from __future__ import annotations

import pytest

from syndicate.urls import absolute, slugify, tag_uri


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Deep Learning", "deep-learning"),
        ("强化学习", "强化学习"),
        ("C++ & Rust", "c-rust"),
        ("  NLP  ", "nlp"),
        ("Ｆｕｌｌ　width", "full-width"),
        ("snake_case", "snake-case"),
        ("!!!", ""),
    ],
)
def test_slugify_keeps_letters_of_every_script(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_absolute_percent_encodes_non_ascii() -> None:
    assert absolute("https://b.example/blog/", "/categories/强化学习/") == (
        "https://b.example/blog/categories/%E5%BC%BA%E5%8C%96%E5%AD%A6%E4%B9%A0/"
    )


@pytest.mark.parametrize(
    ("post_id", "entry_id"),
    [
        ("2026/dilated-conv", "tag:blog.example,2026:2026/dilated-conv"),
        ("post with space", "tag:blog.example,2026:post%20with%20space"),
        ("空洞", "tag:blog.example,2026:%E7%A9%BA%E6%B4%9E"),
        # Ids imported from another platform are already absolute: kept as they are.
        ("tag:blogger.com,1999:blog-1.post-2", "tag:blogger.com,1999:blog-1.post-2"),
        ("https://example.wordpress.com/?p=123", "https://example.wordpress.com/?p=123"),
        ("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"),
        # Of any other scheme (the store refuses such a post): never published as it is.
        ("javascript:alert(1)", "tag:blog.example,2026:javascript:alert(1)"),
    ],
)
def test_entry_ids(post_id: str, entry_id: str) -> None:
    assert tag_uri("blog.example,2026", post_id) == entry_id
