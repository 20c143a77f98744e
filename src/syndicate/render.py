"""Markdown to safe HTML, and a post to an Entry ready for output.

Each post version is rendered once: results are cached by the source file's
hash and the post's URL, so an unchanged post is never rendered again.
"""

from __future__ import annotations

import threading
from urllib.parse import urljoin

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

from syndicate.config import Config
from syndicate.excerpt import make_excerpt
from syndicate.posts import Entry, Post
from syndicate.urls import absolute, post_path
from syndicate.xmlchars import strip_forbidden

_EXTENSIONS = [
    "pymdownx.superfences",
    "tables",
    "footnotes",
    "pymdownx.arithmatex",
    "pymdownx.highlight",
    "toc",
]
_EXTENSION_CONFIGS: dict[str, dict[str, object]] = {
    # The page's title is its only h1: a post's own "# Heading" becomes an h2, and so on down.
    "toc": {"baselevel": 2, "slugify": slugify_unicode},
    # Math stays as TeX in \( \) and \[ \] for a client-side renderer.
    "pymdownx.arithmatex": {"generic": True},
    # No server-side highlighting: plain <pre><code class="language-x">, the same on every machine.
    "pymdownx.highlight": {"use_pygments": False},
}

_TAGS = nh3.ALLOWED_TAGS - {"map", "area"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    # Classes carry code languages and math; ids carry footnote anchors.
    "*": {"class", "id", "lang", "dir"},
}
_URL_SCHEMES = {"http", "https", "mailto"}

_local = threading.local()


def markdown_to_html(body: str) -> str:
    """Unsanitized HTML, as Python-Markdown makes it."""
    converter: markdown.Markdown | None = getattr(_local, "markdown", None)
    if converter is None:
        converter = markdown.Markdown(extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS)
        _local.markdown = converter
    converter.reset()
    return converter.convert(body)


def sanitize(html: str, page_url: str) -> str:
    """Drop scripts, handlers and unsafe URLs; make every link absolute against `page_url`."""
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        url_relative=lambda url: urljoin(page_url, url),
    )
    return strip_forbidden(clean)


class Renderer:
    """Turns posts into Entries, remembering every result it made for reuse."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._cache: dict[tuple[str, str], tuple[str, str]] = {}
        self.rendered = 0  # how many posts the last entries() call had to render

    def entries(self, posts: list[Post]) -> list[Entry]:
        self.rendered = 0
        cache: dict[tuple[str, str], tuple[str, str]] = {}
        entries = []
        for post in posts:
            url = absolute(self._config.site.base_url, post_path(post.slug))
            key = (post.digest, url)
            if key not in self._cache:
                self._cache[key] = self._render(post, url)
                self.rendered += 1
            cache[key] = self._cache[key]
            html, excerpt = cache[key]
            entries.append(Entry(post=post, url=url, html=html, excerpt=excerpt))
        self._cache = cache  # forget posts that are gone or changed
        return entries

    def _render(self, post: Post, url: str) -> tuple[str, str]:
        raw = markdown_to_html(post.body)
        excerpt = make_excerpt(
            raw,
            summary=post.summary,
            length=self._config.excerpt.length,
            ellipsis=self._config.excerpt.ellipsis,
            code_placeholder=self._config.code_placeholder,
            math_placeholder=self._config.math_placeholder,
        )
        return sanitize(raw, url), excerpt
