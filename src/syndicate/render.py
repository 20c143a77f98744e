"""Markdown to safe HTML, and a post to an Entry ready for output.

Each post version is rendered once: results are cached by the source file's
hash and the post's URL, so an unchanged post is never rendered again.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

from syndicate.config import Config
from syndicate.diskcache import DiskCache
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


@dataclass(frozen=True)
class ExcerptSettings:
    length: int
    ellipsis: str
    code_placeholder: str
    math_placeholder: str


def render_post(body: str, summary: str | None, url: str, excerpt: ExcerptSettings) -> tuple[str, str]:
    """(sanitized HTML, excerpt) of one post: the expensive part of a build."""
    raw = markdown_to_html(body)
    text = make_excerpt(
        raw,
        summary=summary,
        length=excerpt.length,
        ellipsis=excerpt.ellipsis,
        code_placeholder=excerpt.code_placeholder,
        math_placeholder=excerpt.math_placeholder,
    )
    return sanitize(raw, url), text


# Below this many posts to render, starting worker processes costs more than it saves.
_PARALLEL_FROM = 200
# Bump when rendering or the excerpt changes, so that caches on disk are not reused.
_FORMAT_VERSION = "2"


class Renderer:
    """Turns posts into Entries. Each post version is rendered once: results are kept in
    memory for the next build and, with a cache folder, on disk for the next process."""

    def __init__(self, config: Config, cache_dir: Path | None = None) -> None:
        self._base_url = config.site.base_url
        self._excerpt = ExcerptSettings(
            config.excerpt.length,
            config.excerpt.ellipsis,
            config.code_placeholder,
            config.math_placeholder,
        )
        self._fingerprint = _fingerprint(self._excerpt)
        self._memory: dict[str, tuple[str, str]] = {}  # render key -> (html, excerpt)
        self._entries: dict[tuple[str, str], tuple[Entry, str]] = {}  # post version -> (entry, render key)
        self._disk = DiskCache(cache_dir, "rendered") if cache_dir is not None else None
        self.rendered = 0  # how many posts the last entries() call had to render

    def entries(self, posts: list[Post]) -> list[Entry]:
        # An unchanged post is the very same Post object again (the store keeps it): its
        # Entry from the last call is reused as it is.
        previous = self._entries
        fresh = [
            post
            for post in posts
            if (known := previous.get(post.version)) is None or known[0].post is not post
        ]
        urls = {post.version: absolute(self._base_url, post_path(post.slug)) for post in fresh}
        keys = {post.version: self._key(post, urls[post.version]) for post in fresh}
        results = {key: self._memory[key] for key in keys.values() if key in self._memory}
        missing = {keys[post.version]: (post, urls[post.version]) for post in fresh}
        missing = {key: job for key, job in missing.items() if key not in results}
        if missing and self._disk is not None:
            results.update((key, _unpack(value)) for key, value in self._disk.get_many(missing).items())
        made = self._render_all({key: job for key, job in missing.items() if key not in results})
        results.update(made)
        self.rendered = len(made)

        current: dict[tuple[str, str], tuple[Entry, str]] = {}
        for post in posts:
            if post.version in keys:
                url, key = urls[post.version], keys[post.version]
                html, excerpt = results[key]
                entry = Entry(
                    post=post, url=url, html=html, excerpt=excerpt, image=_image_url(post.image, url)
                )
                current[post.version] = (entry, key)
            else:
                current[post.version] = previous[post.version]
        # Forget posts that are gone or changed; the memory follows, changed keys only.
        for version, (_, key) in previous.items():
            if current.get(version, (None, None))[1] != key:
                self._memory.pop(key, None)
        for version in keys:
            entry, key = current[version]
            self._memory[key] = (entry.html, entry.excerpt)
        self._entries = current
        if self._disk is not None and (made or len(current) != len(previous)):
            self._disk.put_many({key: _pack(html, excerpt) for key, (html, excerpt) in made.items()})
            self._disk.keep_only(set(self._memory))
        return [current[post.version][0] for post in posts]

    def _key(self, post: Post, url: str) -> str:
        return hashlib.sha256(f"{self._fingerprint}\0{post.digest}\0{url}".encode()).hexdigest()

    def _render_all(self, todo: dict[str, tuple[Post, str]]) -> dict[str, tuple[str, str]]:
        jobs = [(post.body, post.summary, url, self._excerpt) for post, url in todo.values()]
        workers = min(os.cpu_count() or 1, 8)
        if len(jobs) < _PARALLEL_FROM or workers == 1:
            return {key: render_post(*job) for key, job in zip(todo, jobs, strict=True)}
        # A cold store renders on every core. "spawn": the server has threads, which fork does not copy.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            done = pool.map(_render_job, jobs, chunksize=max(1, len(jobs) // (workers * 8)))
            return dict(zip(todo, done, strict=True))


def _pack(html: str, excerpt: str) -> bytes:
    return f"{html}\0{excerpt}".encode()  # neither holds a NUL: XML forbids it


def _unpack(value: bytes) -> tuple[str, str]:
    html, _, excerpt = value.decode().partition("\0")
    return html, excerpt


def _same(known: tuple[Entry, str] | None, post: Post) -> bool:
    return known is not None and known[0].post is post


def _image_url(image: str | None, page_url: str) -> str | None:
    """The post's image as an absolute http(s) URL; anything else (javascript:, data:) is dropped."""
    if not image:
        return None
    url = urljoin(page_url, image)
    return url if urlsplit(url).scheme in ("http", "https") else None


def _render_job(job: tuple[str, str | None, str, ExcerptSettings]) -> tuple[str, str]:
    return render_post(*job)


def _fingerprint(excerpt: ExcerptSettings) -> str:
    """What every rendered post depends on besides itself: settings and library versions."""
    libraries = [
        f"{name}={metadata.version(name)}" for name in ("markdown", "pymdown-extensions", "nh3", "regex")
    ]
    return f"{_FORMAT_VERSION}|{'|'.join(libraries)}|{excerpt!r}"
