"""One file of the Build before it is made: where it goes, what it depends on, and
how to make it. The key lets a rebuild reuse what an earlier build made from the
same inputs, so the cost of a rebuild follows the change, not the store."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

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
    # Everything the bytes depend on besides the configuration, which is fixed per process.
    key: Hashable
    make: Callable[[], bytes]
    # Made when first asked for, not by the build: its ETag derives from its key alone. For
    # outputs many of which change at once and few are read, such as the pages of a listing,
    # every one of which a new post shifts.
    on_demand: bool = False


@dataclass(frozen=True)
class Part:
    """Outputs made from the same inputs, e.g. one page of a listing. While its inputs are
    equal to the last build's (Entries are equal only to themselves), so are its outputs:
    a rebuild then reuses them without listing them again."""

    name: str  # unique within its listing
    inputs: tuple[object, ...]
    outputs: Callable[[], list[Output]]
