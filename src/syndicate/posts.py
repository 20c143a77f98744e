"""The model every stage shares: a post as loaded, a problem found while
loading, and an entry (a post made ready for output)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """Something wrong with one source file. An error means the post was skipped."""

    path: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


def failure(exc: BaseException) -> str:
    """An exception as one short line of a problem message."""
    text = " ".join(str(exc).split())
    text = text if len(text) <= 200 else text[:200] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(frozen=True)
class RenderFailed:
    """Why a post could not be rendered: it is skipped, and this is its problem."""

    reason: str

    @classmethod
    def of(cls, exc: BaseException) -> RenderFailed:
        if isinstance(exc, RecursionError):
            return cls("it nests too deeply for the Markdown converter (RecursionError); skipped")
        return cls(f"{failure(exc)}; skipped")

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Post:
    """One post as the store read it. Identity is `id`, never the text."""

    id: str
    source: str  # path relative to the store, with "/" separators
    slug: str
    title: str
    date: datetime  # always timezone-aware
    updated: datetime | None
    category: str | None
    tags: tuple[str, ...]
    author: str
    summary: str | None
    draft: bool
    lang: str
    # Markdown, LF line endings, no front matter. The store leaves it None and in the file,
    # which store.read_body reads again when the post is rendered: a large store's text
    # would fill the memory.
    body: str | None
    digest: str  # sha256 of the source file's bytes
    image: str | None = None  # as written: relative to the post's page, or absolute
    in_feeds: bool = True  # `feed: false` keeps it on the site and out of every feed and archive
    feed_content: str | None = None  # "full" or "summary" (`feed: ...`), else the site's feed.content
    # Posts that share it are one text in several languages (`translation` in front matter).
    translation: str | None = None
    # Unknown fields as written. Never shown: YAML aliases can make them enormous to print.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    size: int = 0  # bytes of the source file; store.read_body reads no more

    def __reduce__(self) -> tuple[Callable[..., Post], tuple[object, ...]]:
        # Its fields as a tuple, without what cached_property kept: about half the bytes
        # and time of the default, for the many posts sent to a build's workers.
        return (Post, tuple(getattr(self, name) for name in _POST_FIELDS))

    @cached_property
    def version(self) -> tuple[str, str]:
        """Its file and that file's hash: what every output made from it depends on."""
        return (self.source, self.digest)

    @cached_property
    def newest_first(self) -> tuple[float, str]:
        """Its place when posts are sorted newest first. Many posts share a date: the
        source path breaks ties, never the order the files were found in."""
        return (-self.date.timestamp(), self.source)

    def same_place(self, other: Post) -> bool:
        """Whether `other`, another version of this post, sits where this one does: the same
        file, URL, id and place in the date order, under the same category, tags and author,
        draft or not alike. A rebuild may then swap one for the other in every listing
        instead of grouping and listing the store again; this is the one rule for that."""
        return self._place == other._place

    @cached_property
    def _place(self) -> tuple[object, ...]:
        names = (self.category, self.tags, self.author, self.draft, self.in_feeds)
        languages = (self.lang, self.translation)  # its listing, and the links to the others
        return (self.source, self.slug, self.id, self.newest_first, *names, *languages)

    @cached_property
    def last_modified(self) -> datetime:
        return self.updated if self.updated is not None else self.date

    def is_published(self, now: datetime) -> bool:
        return not self.draft and self.date <= now


class Entry:
    """A published post with everything the outputs need. Equal only to itself: the
    Renderer makes a new Entry exactly when the post changed."""

    __slots__ = ("_html", "excerpt", "image", "post", "url")

    def __init__(
        self,
        post: Post,
        url: str,
        html: str | Callable[[], str],
        excerpt: str,
        image: str | None = None,
    ) -> None:
        self.post = post
        self.url = url  # absolute URL of the post's page
        self._html = html  # or where to read it: a large site's HTML is kept on disk
        self.excerpt = excerpt  # plain text, see syndicate.render.excerpt
        self.image = image  # absolute URL of the post's image

    @property
    def html(self) -> str:
        """Sanitized HTML, every link absolute."""
        html = self._html
        return html if isinstance(html, str) else html()

    @property
    def content(self) -> str | Callable[[], str]:
        """The HTML, or how to read it."""
        return self._html

    def __repr__(self) -> str:
        return f"Entry({self.post.source!r}, {self.url!r})"

    def __reduce__(self) -> tuple[type[Entry], tuple[object, ...]]:
        return (Entry, (self.post, self.url, self._html, self.excerpt, self.image))


_POST_FIELDS = tuple(field.name for field in fields(Post))
