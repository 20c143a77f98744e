"""One file of the Build before it is made: a plain description of it.

An Output says what the file is, where it goes and what it is made from: a module-level
function (`maker`) and its arguments (`made_from`) besides the configuration, which is
fixed per process. Its bytes are `maker(*made_from, config)`, here or in a worker process
(an Output pickles). Its key, what decides whether an earlier build's bytes can be
reused, is derived from the description alone (`key_of`): nothing says twice what an
output depends on."""

from __future__ import annotations

import dataclasses
import hashlib
import types
import typing
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

from syndicate.posts import Entry, Post

if TYPE_CHECKING:
    from syndicate.config import Config

# What a file of the site is, decided where it is described and carried into its Resource:
# whatever treats files differently (caching, the sitemap, WebSub, metrics) reads this,
# never the path or the media type.
#   feed       a listing's subscription feed (Atom, RSS, JSON Feed): the newest entries
#   archive    an RFC 5005 archive document of a listing: older entries, a fixed set each
#   page       an HTML page of the site: a listing's page, a post's page
#   index      a list of what the site has, for programs: feeds.opml, the sitemap, robots.txt
#   static     the site's own files, the same for every store: stylesheet, icon
#   asset      a file of the store served as it is: its images
#   not_found  the page that answers, with 404, every path the site does not have
Kind = Literal["feed", "archive", "page", "index", "static", "asset", "not_found"]


@dataclass(frozen=True)
class Output:
    kind: Kind
    path: str
    media_type: str
    last_modified: datetime | None
    maker: Callable[..., bytes]  # a module-level function: maker(*made_from, config)
    made_from: tuple[Any, ...]
    # Made when first asked for, not by the build: its ETag derives from its key alone. For
    # outputs many of which change at once and few are read, such as the pages of a listing,
    # every one of which a new post shifts.
    on_demand: bool = False
    # Made after the Build that first has it is served (Builder.settle), and kept in the disk
    # cache; asked for before, made then. Its ETag derives from its key alone. For outputs
    # that a new post changes a few of at a time and that many clients read, such as the
    # subscription feeds: a rebuild serves sooner, and they are not made again and again
    # as the recently used bytes come and go. A first build makes them with the others.
    deferred: bool = False
    # A feed's: the usual seconds between its newest posts (see posting_interval), None for
    # anything else or a feed of fewer than two. How long readers may wait before polling
    # again follows it; it is no part of the bytes.
    posting_interval: float | None = None

    def make(self, config: Config) -> bytes:
        return self.maker(*self.made_from, config)

    def __reduce__(self) -> tuple[type[Output], tuple[Any, ...]]:
        # Its fields only: a worker that makes it has no use for its key.
        fields = (self.kind, self.path, self.media_type, self.last_modified, self.maker, self.made_from)
        return (Output, (*fields, self.on_demand, self.deferred, self.posting_interval))

    @cached_property
    def key(self) -> Hashable:
        """Everything its bytes depend on besides the configuration and the code."""
        described = (self.kind, self.path, self.media_type, self.last_modified, self.on_demand)
        return key_of((*described, self.maker, self.made_from))


@dataclass(frozen=True)
class Part:
    """Outputs made from the same inputs, e.g. one page of a listing. While the key of its
    inputs is the last build's, so are its outputs: a rebuild then reuses them without
    describing them again."""

    name: str  # unique within its listing
    inputs: tuple[object, ...]
    outputs: Callable[[], list[Output]]


def posting_interval(dates: list[datetime]) -> float | None:
    """The median seconds between consecutive dates of the newest ten (newest first);
    None for fewer than two."""
    newest = dates[:10]
    gaps = sorted((newer - older).total_seconds() for newer, older in pairwise(newest))
    if not gaps:
        return None
    middle = len(gaps) // 2
    return gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2


def key_of(value: object) -> Hashable:
    """A description's value as a key: equal exactly when the bytes made from it are.

    A post (or its Entry, the post made ready for output) stands for its version, its
    file and that file's hash; a dataclass for its type and fields; bytes for their hash.
    Anything else must be a plain value: a type this does not know is an error, never
    a key by identity."""
    if isinstance(value, Entry):
        return value.post.version
    kind = type(value)
    if kind in _PLAIN or value is None:
        return value  # str, int, float, bool, datetime
    if isinstance(value, tuple | list):  # the common items inline: a sitemap has 10,000s
        return tuple(
            [
                item.post.version if type(item) is Entry else item if type(item) in _PLAIN else key_of(item)
                for item in value
            ]
        )
    if isinstance(value, Post):
        return value.version
    if isinstance(value, bytes):
        return ("sha256", hashlib.sha256(value).hexdigest())
    fields = _fields(kind)
    if fields is not None:
        # A frozen dataclass keeps its key, as a cached_property would: the same listing
        # is in the description of each of its pages, thousands at a time.
        known = value.__dict__.get(_KEPT) if fields.frozen else None
        if known is None:
            known = (
                kind.__qualname__,
                *[
                    getattr(value, name) if plain else key_of(getattr(value, name))
                    for name, plain in zip(fields.names, fields.plain, strict=True)
                ],
            )
            if fields.frozen:
                value.__dict__[_KEPT] = known
        return known
    qualname = getattr(value, "__qualname__", None)
    if callable(value) and isinstance(qualname, str) and "<" not in qualname:  # no lambda, no closure
        return f"{value.__module__}.{qualname}"
    kinds = "a plain value, a dataclass of them, or a module-level function"
    raise TypeError(f"no key for {value!r} in an output's description: {kinds}")


_PLAIN = frozenset({str, int, float, bool, datetime})
_KEPT = "_syndicate_key"  # where a frozen dataclass keeps its key (in its __dict__)


@dataclass(frozen=True)
class _Fields:
    names: tuple[str, ...]
    # Each field's: whether its type is plain data (see _plain_type), its value then its
    # own key. A sitemap's 15,000 (path, date, versions) items are not walked one by one.
    plain: tuple[bool, ...]
    frozen: bool  # and with a __dict__ to keep its key in


_FIELDS: dict[type, _Fields | None] = {}


def _fields(kind: type) -> _Fields | None:
    """The fields of a dataclass, None for any other type."""
    if kind not in _FIELDS:
        if dataclasses.is_dataclass(kind):
            names = tuple(field.name for field in dataclasses.fields(kind))
            try:
                hints = typing.get_type_hints(kind)
            except (NameError, TypeError):  # a name imported only for type checking
                hints = {}
            plain = tuple(name in hints and _plain_type(hints[name]) for name in names)
            frozen = kind.__dataclass_params__.frozen and "__slots__" not in vars(kind)  # type: ignore[attr-defined]
            _FIELDS[kind] = _Fields(names, plain, frozen)
        else:
            _FIELDS[kind] = None
    return _FIELDS[kind]


def _plain_type(hint: object) -> bool:
    """Whether every value of the type `hint` is its own key: str, int, float, bool,
    datetime, None, a Literal of them, and unions and tuples of those. mypy holds the
    values to their types where the dataclass is made."""
    if hint in _PLAIN or hint is type(None):
        return True
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return all(type(argument) in _PLAIN for argument in arguments)
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return _plain_type(arguments[0])
        return all(_plain_type(argument) for argument in arguments)
    if origin is typing.Union or origin is types.UnionType:
        return all(_plain_type(argument) for argument in arguments)
    return False
