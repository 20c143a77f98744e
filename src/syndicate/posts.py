"""The model every stage shares: a post as loaded, a problem found while
loading, and an entry (a post made ready for output)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    body: str  # Markdown, LF line endings, no front matter
    digest: str  # sha256 of the source file's bytes
    image: str | None = None  # as written: relative to the post's page, or absolute
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @cached_property
    def version(self) -> tuple[str, str]:
        """Its file and that file's hash: what every output made from it depends on."""
        return (self.source, self.digest)

    @cached_property
    def last_modified(self) -> datetime:
        return self.updated if self.updated is not None else self.date

    def is_published(self, now: datetime) -> bool:
        return not self.draft and self.date <= now


@dataclass(frozen=True, eq=False)
class Entry:
    """A published post with everything the outputs need. Equal only to itself: the
    Renderer makes a new Entry exactly when the post changed."""

    post: Post
    url: str  # absolute URL of the post's page
    html: str  # sanitized HTML, every link absolute
    excerpt: str  # plain text, see syndicate.excerpt
    image: str | None = None  # absolute URL of the post's image
