"""One file of the Build before it is made: where it goes, what it depends on, and
how to make it. The key lets a rebuild reuse what an earlier build made from the
same inputs, so the cost of a rebuild follows the change, not the store."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Output:
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
