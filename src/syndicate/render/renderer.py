"""Markdown to safe HTML, and a post to an Entry ready for output.

Each post version is rendered once: results are cached by the source file's
hash and the post's URL, so an unchanged post is never rendered again; nor is one that
could not be rendered (it took too long, or the converter failed), which is skipped with
the same problem line at once by every later process, until the post or the code changes.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

from syndicate.caching.diskcache import DiskCache
from syndicate.caching.fingerprint import code_fingerprint
from syndicate.config import Config
from syndicate.posts import Entry, Post, Problem, RenderFailed
from syndicate.render.excerpt import make_excerpt
from syndicate.render.markdown_blocks import SkippingBlockExtension
from syndicate.render.markdown_inline import SkippingInlineExtension
from syndicate.render.markdown_passes import FastPassesExtension
from syndicate.render.markdown_toc import HeadingIdExtension
from syndicate.render.mathml import MATHML_ATTRIBUTES, math_to_mathml
from syndicate.source.store import read_body
from syndicate.urls import absolute, post_path
from syndicate.workers.crew import Crew, Lost, can_fork
from syndicate.workers.parallel import worker_count
from syndicate.xmlchars import strip_forbidden

MARKDOWN_EXTENSIONS = [
    "pymdownx.superfences",
    "tables",
    "footnotes",
    "pymdownx.arithmatex",
    "pymdownx.highlight",
    "toc",
]
MARKDOWN_EXTENSION_CONFIGS: dict[str, dict[str, object]] = {
    # The page's title is its only h1: a post's own "# Heading" becomes an h2, and so on down.
    "toc": {"baselevel": 2, "slugify": slugify_unicode},
    # Math is marked as TeX in \( \) and \[ \], which mathml.py makes MathML after the excerpt is taken.
    "pymdownx.arithmatex": {"generic": True},
    # No server-side highlighting: plain <pre><code class="language-x">, the same on every machine.
    "pymdownx.highlight": {"use_pygments": False},
}

_TAGS = (nh3.ALLOWED_TAGS - {"map", "area"}) | set(MATHML_ATTRIBUTES)
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    **{tag: set(attrs) for tag, attrs in MATHML_ATTRIBUTES.items()},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    # Classes carry code languages and math; ids carry footnote anchors.
    "*": {"class", "id", "lang", "dir"},
}
_URL_SCHEMES = {"http", "https", "mailto"}

_local = threading.local()


class _Markdown(markdown.Markdown):
    """Python-Markdown, its block-level tags looked up in a set rather than in its list of
    sixty (it asks about every element of every post). The set is made from the list at the
    start of each conversion, so a change to the list still counts."""

    _block_level: frozenset[str] | None = None

    def convert(self, source: str) -> str:
        self._block_level = frozenset(self.block_level_elements)
        return super().convert(source)

    def is_block_level(self, tag: Any) -> bool:
        if self._block_level is None:
            return super().is_block_level(tag)
        return isinstance(tag, str) and tag.lower().rstrip("/") in self._block_level


def markdown_to_html(body: str) -> str:
    """Unsanitized HTML, as Python-Markdown makes it."""
    converter: markdown.Markdown | None = getattr(_local, "markdown", None)
    if converter is None:
        converter = _Markdown(
            extensions=[
                *MARKDOWN_EXTENSIONS,
                SkippingInlineExtension(),
                SkippingBlockExtension(),
                FastPassesExtension(),
                HeadingIdExtension(),
            ],
            extension_configs=MARKDOWN_EXTENSION_CONFIGS,
        )
        _local.markdown = converter
    converter.reset()
    return converter.convert(body)


class _Sanitizer:
    """An nh3 Cleaner, made once per thread (its settings cost a fifth of cleaning a post),
    and the page URL it makes relative links absolute against."""

    def __init__(self) -> None:
        self.page_url = ""
        self.cleaner = nh3.Cleaner(
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes=_URL_SCHEMES,
            link_rel=None,
            strip_comments=True,
            url_relative=self._absolute,
        )

    def _absolute(self, url: str) -> str:
        return urljoin(self.page_url, url)


def sanitize(html: str, page_url: str) -> str:
    """Drop scripts, handlers and unsafe URLs; make every link absolute against `page_url`."""
    sanitizer: _Sanitizer | None = getattr(_local, "sanitizer", None)
    if sanitizer is None:
        sanitizer = _local.sanitizer = _Sanitizer()
    sanitizer.page_url = page_url
    return strip_forbidden(sanitizer.cleaner.clean(html))


@dataclass(frozen=True)
class ExcerptSettings:
    length: int
    ellipsis: str
    code_placeholder: str
    math_placeholder: str


class Rendered(NamedTuple):
    """One post rendered. `html` is None where a worker's disk cache kept it instead."""

    html: str | None
    excerpt: str
    # Each formula that stayed as its source, and why (see mathml.py): warnings of the post.
    math_errors: tuple[str, ...] = ()


def render_post(body: str, summary: str | None, url: str, excerpt: ExcerptSettings) -> Rendered:
    """Sanitized HTML, excerpt and math errors of one post: the expensive part of a build."""
    raw = markdown_to_html(body)
    text = make_excerpt(
        raw,
        summary=summary,
        length=excerpt.length,
        ellipsis=excerpt.ellipsis,
        code_placeholder=excerpt.code_placeholder,
        math_placeholder=excerpt.math_placeholder,
    )
    math = math_to_mathml(raw)
    return Rendered(sanitize(math.html, url), text, math.errors)


# Below this many posts to render, starting more than one worker process costs more than
# it saves.
_PARALLEL_FROM = 200
# Posts sent to a worker at a time, and written to the disk cache at a time (a cold
# store's HTML never sits in memory all at once): about 0.05 s of work, so that no worker
# is left with much to do after the others have finished.
_CHUNK = 20

_Job = tuple[Post, Path | None, str, ExcerptSettings]
# A post's render key, and what rendering it made (its HTML None if the disk cache has it),
# or why it could not be rendered.
_Kept = tuple[str, Rendered | RenderFailed]


class _TooSlow(RenderFailed):
    """A post stopped at build.render_timeout: kept on disk with that timeout, it is tried
    again only under a longer one."""


class _Passing(RenderFailed):
    """A failure that may not happen again: the process rendering it died (the kernel kills
    one for the memory the whole machine lacks, an operator kills one by hand), or Python ran
    out of memory. Skipped by this process (each try costs a while), never kept on disk."""


class Renderer:
    """Turns posts into Entries. Each post version is rendered once: with a cache folder,
    its HTML is kept on disk (read back when an output needs it) for this process and the
    next; without one, in memory.

    Posts are rendered in other processes, so that one taking longer than
    `build.render_timeout` can be stopped, whatever the Markdown library is doing: a
    crew of workers for many posts, a single one for a few. That one is kept for the
    next call when it was started as a new Python (a running server's rebuilds, which
    have threads); forked, it is ended at the end of the call: it holds a copy of this
    process's memory as it was when forked, which a server's would keep for its life."""

    def __init__(self, config: Config, cache_dir: Path | None = None) -> None:
        self._base_url = config.site.base_url
        self._config = config
        # By a post's `lang`: its excerpt's settings, and the fingerprint its render key has.
        self._excerpts: dict[str, tuple[ExcerptSettings, str]] = {}
        self._entries: dict[tuple[str, str], tuple[Entry, str]] = {}  # post version -> (entry, render key)
        self._disk = DiskCache(cache_dir, "rendered") if cache_dir is not None else None
        self.rendered = 0  # how many posts the last entries() call rendered, or tried to
        # By render key: posts that cannot be rendered, skipped (found so or told so by the
        # disk cache).
        self.failed: dict[str, Problem] = {}
        # By render key: what the posts of the last entries() call rendered with, published
        # all the same (formulas left as their source).
        self.warned: dict[str, tuple[Problem, ...]] = {}
        self._workers = worker_count(config.build.workers)
        self._timeout = config.build.render_timeout
        # The workers write to the disk cache unless it failed here already.
        self._keeper = _Keeper(self._disk if self._disk is not None and self._disk.usable else None)
        self._single = Crew(_render_keyed, self._keeper, 1, self._timeout, _warm_up)
        weakref.finalize(self, self._single.close)

    def prepare(self) -> None:
        """Start the worker that renders a few posts, if it would be kept: a server's first
        edit then does not wait for a process to start (about 0.2 s)."""
        if not can_fork():
            self._single.prepare()

    def close(self) -> None:
        """End the worker kept for the next call, if any."""
        self._single.close()

    def warnings(self) -> tuple[Problem, ...]:
        """The warnings of the posts the last entries() call returned, rendered then or
        before (kept with each render, in memory and in the disk cache)."""
        return tuple(problem for problems in self.warned.values() for problem in problems)

    def entries(self, posts: list[Post], root: Path | None = None) -> list[Entry]:
        """An Entry for each post; `root` is the store's folder, where posts without a
        body are read (see store.read_body)."""
        # An unchanged post is the very same Post object again (the store keeps it): its
        # Entry from the last call is reused as it is.
        previous = self._entries
        current: dict[tuple[str, str], tuple[Entry, str]] = {}
        fresh: dict[str, tuple[Post, str]] = {}  # render key -> (post, url)
        for post in posts:
            known = previous.get(post.version)
            if known is not None and known[0].post is post:
                current[post.version] = known
            else:
                url = absolute(self._base_url, post_path(post.slug))
                fresh[self._key(post, url)] = (post, url)
        self.rendered = 0
        self.failed = {key: problem for key, problem in self.failed.items() if key in fresh}
        if fresh:
            current.update(self._entries_of(fresh, root, previous))
        self._entries = current
        self.warned = {key: self.warned[key] for _, key in current.values() if key in self.warned}
        if self._disk is not None and self._disk.oversized(2 * len(current)):  # HTML and excerpt
            keys = {key for _, key in current.values()}
            failed = {_excerpt_key(key) for key in self.failed}  # why those are not rendered
            self._disk.keep_only(keys | {_excerpt_key(key) for key in keys} | failed)
        return [current[post.version][0] for post in posts if post.version in current]

    def _entries_of(
        self,
        fresh: dict[str, tuple[Post, str]],
        root: Path | None,
        previous: dict[tuple[str, str], tuple[Entry, str]],
    ) -> dict[tuple[str, str], tuple[Entry, str]]:
        """Entries of posts the last call did not have: the same render of an earlier Entry
        (a file saved again unchanged), else from the disk cache, else rendered."""
        excerpts: dict[str, str] = {}
        html: dict[str, str | Callable[[], str]] = {}
        for entry, key in previous.values():
            if key in fresh:  # its warnings are still in self.warned
                excerpts[key], html[key] = entry.excerpt, entry.content
        if self._disk is not None:
            found = self._disk.get_many(_excerpt_key(key) for key in fresh if key not in excerpts)
            for key, (post, _) in fresh.items():
                kept = _decode_excerpt(found[_excerpt_key(key)]) if _excerpt_key(key) in found else None
                if isinstance(kept, _KeptFailure):
                    # Not tried again: it would fail the same, unless given longer than before.
                    if kept.timeout is None:
                        self.failed[key] = _failed(post, kept.reason)
                    elif kept.timeout >= self._timeout:
                        self.failed[key] = _failed(post, _too_slow(self._timeout))
                elif kept is not None:
                    excerpts[key], math_errors = kept
                    self._warn(key, post, math_errors)
        todo = {key: job for key, job in fresh.items() if key not in excerpts and key not in self.failed}
        for batch in self._render_all(todo, root):
            for key, done in batch:
                self.rendered += 1
                if isinstance(done, RenderFailed):
                    self.failed[key] = _failed(todo[key][0], str(done))
                    if self._disk is not None and not isinstance(done, _Passing):
                        # At once: a server stopped while it waits for the next slow post
                        # has these when it starts again.
                        timeout = self._timeout if isinstance(done, _TooSlow) else None
                        self._disk.put_many({_excerpt_key(key): _encode_failure(str(done), timeout)})
                    continue
                excerpts[key] = done.excerpt
                self._warn(key, todo[key][0], done.math_errors)
                if done.html is not None:  # the disk cache could not keep it
                    html[key] = done.html
        entries = {}
        for key, (post, url) in fresh.items():
            if key in self.failed:
                continue
            content = (
                html[key]
                if key in html
                else StoredHtml(self._disk, key, post, url, root, self._excerpt_of(post)[0])
            )
            entry = Entry(post, url, content, excerpts[key], _image_url(post.image, url))
            entries[post.version] = (entry, key)
        return entries

    def _warn(self, key: str, post: Post, math_errors: tuple[str, ...]) -> None:
        problems = tuple(_math_problem(post, error) for error in math_errors)
        if problems:
            self.warned[key] = problems
        else:
            self.warned.pop(key, None)

    def _key(self, post: Post, url: str) -> str:
        fingerprint = self._excerpt_of(post)[1]
        return hashlib.sha256(f"{fingerprint}\0{post.digest}\0{url}".encode()).hexdigest()

    def _excerpt_of(self, post: Post) -> tuple[ExcerptSettings, str]:
        """The excerpt settings of the post's language, and their fingerprint: a post is
        rendered again when its own placeholders change, never when another language's do."""
        known = self._excerpts.get(post.lang)
        if known is None:
            excerpt = self._config.excerpt
            placeholders = self._config.placeholders_for(post.lang)
            settings = ExcerptSettings(
                excerpt.length, excerpt.ellipsis, placeholders.code, placeholders.formula
            )
            known = self._excerpts[post.lang] = (settings, _fingerprint(settings))
        return known

    def _render_all(self, todo: dict[str, tuple[Post, str]], root: Path | None) -> Iterator[list[_Kept]]:
        """Each post rendered, a chunk at a time, each chunk written to the disk cache by the
        worker that rendered it; a post that took too long, as a RenderFailed."""
        jobs = [(key, (post, root, url, self._excerpt_of(post)[0])) for key, (post, url) in todo.items()]
        if not jobs:
            return
        workers = 1 if len(jobs) < _PARALLEL_FROM else self._workers
        crew = (
            self._single
            if workers == 1
            else Crew(_render_keyed, self._keeper, workers, self._timeout, _warm_up)
        )
        chunk = max(1, min(_CHUNK, len(jobs) // (workers * 8)))
        try:
            for done in crew.run(jobs[start : start + chunk] for start in range(0, len(jobs), chunk)):
                if isinstance(done, Lost):
                    failed = (
                        _TooSlow(_too_slow(self._timeout))
                        if done.died is None
                        else _Passing(f"the process rendering it died ({done.died}), twice; skipped")
                    )
                    yield [(done.item[0], failed)]
                else:
                    yield done
        finally:
            crew.close(forked_only=crew is self._single)


@dataclass(frozen=True)
class StoredHtml:
    """Where a post's HTML is: in the disk cache under `key`, else rendered again (the cache
    lost it). Picklable: an output made in a worker reads it there."""

    disk: DiskCache | None
    key: str
    post: Post
    url: str
    root: Path | None
    excerpt: ExcerptSettings

    def __call__(self) -> str:
        data = self.disk.get(self.key) if self.disk is not None else None
        if data is not None:
            return data.decode()
        html = render_post(read_body(self.root, self.post), self.post.summary, self.url, self.excerpt).html
        assert html is not None  # render_post always makes it
        return html


@dataclass(frozen=True)
class _Keeper:
    """In a worker: writes what it rendered to `disk`, if any; each post's Rendered, its
    HTML None if the cache kept it, or why it could not be rendered."""

    disk: DiskCache | None

    def __call__(self, made: list[_Kept]) -> list[_Kept]:
        disk = self.disk
        if disk is None:
            return made
        rows = {}
        for key, done in made:
            if not isinstance(done, RenderFailed) and done.html is not None:
                rows[key] = done.html.encode()
                rows[_excerpt_key(key)] = _encode_excerpt(done.excerpt, done.math_errors)
        disk.put_many(rows)
        if not disk.usable:
            return made
        return [
            (key, done if isinstance(done, RenderFailed) else done._replace(html=None)) for key, done in made
        ]


def _excerpt_key(key: str) -> str:
    return key + ":excerpt"


def _encode_excerpt(excerpt: str, math_errors: tuple[str, ...]) -> bytes:
    """What the disk cache keeps under a post's excerpt key: the excerpt, and the math errors
    its warnings are made of (an unchanged post is reported from the cache as when rendered)."""
    return json.dumps([excerpt, *math_errors], ensure_ascii=False).encode()


class _KeptFailure(NamedTuple):
    """What the disk cache keeps under the excerpt key of a post that could not be rendered:
    why, and the render_timeout it was stopped at if it took too long."""

    reason: str
    timeout: float | None


def _encode_failure(reason: str, timeout: float | None) -> bytes:
    return json.dumps({"failed": reason, "timeout": timeout}, ensure_ascii=False).encode()


def _decode_excerpt(data: bytes) -> tuple[str, tuple[str, ...]] | _KeptFailure | None:
    """The excerpt and math errors kept, or why the post could not be rendered; None for
    anything else (a value of another shape is a miss, as a damaged one is)."""
    try:
        kept = json.loads(data)
    except ValueError:  # UnicodeDecodeError too
        return None
    if isinstance(kept, list) and kept and all(isinstance(text, str) for text in kept):
        excerpt, *math_errors = kept
        return excerpt, tuple(math_errors)
    if isinstance(kept, dict) and kept.keys() == {"failed", "timeout"}:
        reason, timeout = kept["failed"], kept["timeout"]
        sound_timeout = timeout is None or (type(timeout) in (int, float) and timeout > 0)
        if isinstance(reason, str) and reason and sound_timeout:
            return _KeptFailure(reason, timeout)
    return None


def _too_slow(timeout: float) -> str:
    return f"it took longer than build.render_timeout ({timeout} s): stopped; skipped"


def _failed(post: Post, reason: str) -> Problem:
    return Problem(post.source, 1, f"cannot be rendered: {reason}")


def _math_problem(post: Post, error: str) -> Problem:
    return Problem(post.source, 1, f"formula left as its source, not made MathML: {error}", "warning")


def _image_url(image: str | None, page_url: str) -> str | None:
    """The post's image as an absolute http(s) URL; anything else (javascript:, data:) is dropped."""
    if not image:
        return None
    url = urljoin(page_url, image)
    return url if urlsplit(url).scheme in ("http", "https") else None


def _render_job(job: _Job) -> Rendered | RenderFailed:
    post, root, url, excerpt = job
    body = read_body(root, post)
    try:
        return render_post(body, post.summary, url, excerpt)
    except Exception as exc:  # RecursionError in Python-Markdown, say: this post's problem only
        _local.markdown = None  # not reused half-way through a document
        failed = RenderFailed.of(exc)
        return _Passing(failed.reason) if isinstance(exc, MemoryError) else failed


def _warm_up() -> None:
    """In a worker, before its first post: the converter and the sanitizer made (and
    Python-Markdown's extensions imported), which that post's time would otherwise pay."""
    sanitize(math_to_mathml(markdown_to_html("*a* $b$")).html, "http://localhost/")


def _render_keyed(keyed: tuple[str, _Job]) -> _Kept:
    key, job = keyed
    return key, _render_job(job)


def _fingerprint(excerpt: ExcerptSettings) -> str:
    """What every rendered post depends on besides itself and its URL: the code and the
    excerpt's settings of its language."""
    return f"{code_fingerprint()}|{excerpt!r}"
