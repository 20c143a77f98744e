"""The post store: a folder of Markdown files and the images they show.

`PostStore.load()` returns every post that could be read, newest first, and
a problem for every file that could not. It remembers each file's size and
modification time, so a rebuild reads and parses only the files that changed;
a first load reads them on every core (see syndicate.workers.parallel).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain
from pathlib import Path

from syndicate.config import Config
from syndicate.posts import Post, Problem, failure
from syndicate.source.frontmatter import body_of, parse_post
from syndicate.source.safefile import Refused, not_regular, read_regular
from syndicate.urls import folder_key
from syndicate.workers.parallel import make_in_batches, worker_count
from syndicate.xmlchars import describe_char, escape_unfit, unfit_char

ASSET_TYPES = {
    ".avif": "image/avif",
    ".gif": "image/gif",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


_BATCH = 500  # files a worker reads at a time


class StoreError(Exception):
    """The store as a whole cannot be read (missing, not a folder, unreadable)."""


class PostChanged(StoreError):
    """A post's file changed (or went) between loading the store and reading its body."""


def create_missing_store(root: Path) -> bool:
    """Make the store folder of a new site, empty; True if it was made.

    Only at the start of a command, never during a rebuild: a store that goes missing under
    a running server is an error that keeps the last good Build serving, not an empty site.
    Only the last folder is made, so a path with a wrong parent still fails as missing.
    """
    if root.exists() or not root.parent.is_dir():
        return False
    try:
        root.mkdir()
    except OSError as exc:
        raise StoreError(f"{root}: store folder does not exist and cannot be made: {exc.strerror}") from exc
    return True


@dataclass(frozen=True)
class Asset:
    """A file served as it is, at "/" + its store-relative path."""

    path: str
    data: bytes
    media_type: str


@dataclass(frozen=True)
class StoreResult:
    posts: tuple[Post, ...]  # newest first, drafts and future posts included
    problems: tuple[Problem, ...]  # sorted by path and line
    assets: tuple[Asset, ...]  # sorted by path
    root: Path | None = None  # where read_body finds the posts' files


def read_body(root: Path | None, post: Post) -> str:
    """The post's Markdown: as the Post holds it, or read again from its file, which must
    still be the version the store loaded."""
    if post.body is not None:
        return post.body
    if root is None:
        raise PostChanged(f"{post.source}: no body and no store to read it from")
    try:
        # No more than it had: a file that grew (or became a FIFO) is not the same file.
        data = read_regular(root / post.source, post.size, "its size when the store was loaded")
    except OSError as exc:
        raise PostChanged(f"{post.source}: cannot be read again: {exc.strerror or exc}") from None
    except Refused:
        raise PostChanged(f"{post.source}: changed while the site was being built") from None
    if hashlib.sha256(data).hexdigest() != post.digest:
        raise PostChanged(f"{post.source}: changed while the site was being built")
    return body_of(data)


@dataclass(frozen=True)
class _Seen:
    size: int
    mtime_ns: int
    post: Post | None
    problems: tuple[Problem, ...]
    asset: Asset | None


class PostStore:
    def __init__(self, config: Config) -> None:
        self.root = config.store.path
        self._config = config
        self._workers = worker_count(config.build.workers)  # for a first load
        self._seen: dict[str, _Seen] = {}
        self._walked: list[Problem] = []  # problems of the last walk itself
        self._result: StoreResult | None = None  # returned again while no file changes
        self.files_read = 0  # how many files the last load() read from disk

    def load(self) -> StoreResult:
        if not self.root.exists():
            raise StoreError(f"{self.root}: store folder does not exist")
        if not self.root.is_dir():
            raise StoreError(f"{self.root}: store path is not a folder")
        seen: dict[str, _Seen] = {}
        walk_problems: list[Problem] = []
        changed: list[tuple[str, str, int, int]] = []  # files to read: source, path, size, mtime
        for source, entry in self._walk(walk_problems):
            try:
                stat = entry.stat()  # follows a symlink; one system call a file
            except OSError as exc:
                walk_problems.append(Problem(source, 1, f"cannot read file: {exc.strerror or exc}"))
                continue
            if reason := not_regular(stat.st_mode):  # a FIFO would block the read forever
                walk_problems.append(Problem(source, 1, reason))
                continue
            previous = self._seen.get(source)
            if previous and (previous.size, previous.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                seen[source] = previous
            else:
                changed.append((source, entry.path, stat.st_size, stat.st_mtime_ns))
        read: list[str] = []  # the files read again
        readers = [partial(_read, self._config, *file) for file in changed]
        outcomes = chain.from_iterable(make_in_batches(readers, _BATCH, list, self._workers))
        for (source, *_), outcome in zip(changed, outcomes, strict=True):
            if isinstance(outcome, Problem):
                walk_problems.append(outcome)
            else:
                seen[source] = outcome
                read.append(source)
        self.files_read = len(read)
        same_files = seen.keys() == self._seen.keys() and walk_problems == self._walked
        result = self._result
        if result is None or not same_files:
            result = _collect(seen, walk_problems, self.root)
        elif read:
            result = _edited(result, self._seen, seen, read) or _collect(seen, walk_problems, self.root)
        self._seen, self._walked, self._result = seen, walk_problems, result
        return self._result

    def _walk(self, problems: list[Problem]) -> list[tuple[str, os.DirEntry[str]]]:
        """Every post and image below the root, skipping hidden names and never leaving the root."""
        root = os.path.realpath(self.root)
        found: list[tuple[str, os.DirEntry[str]]] = []
        folders = [(str(self.root), "")]
        while folders:
            folder, prefix = folders.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as exc:
                if not prefix:
                    raise StoreError(
                        f"{self.root}: cannot read store folder: {exc.strerror or exc}"
                    ) from None
                problems.append(Problem(prefix.rstrip("/"), 1, f"cannot read folder: {exc.strerror or exc}"))
                continue
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                source = prefix + name
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, source + "/"))
                    continue
                if not (name.endswith(".md") or os.path.splitext(name)[1].lower() in ASSET_TYPES):
                    continue
                if char := unfit_char(source):  # a name that is not UTF-8 holds surrogates
                    reason = f"the file name holds {describe_char(char)}: rename it; not read"
                    problems.append(Problem(escape_unfit(source), 1, reason))
                    continue
                if entry.is_symlink() and not _inside(os.path.realpath(entry.path), root):
                    problems.append(Problem(source, 1, "symlink points outside the store; not read"))
                    continue
                found.append((source, entry))
        return found


def _read(config: Config, source: str, path: str, size: int, mtime_ns: int) -> _Seen | Problem:
    """One file of the store, read and parsed (in a worker, for a first load)."""
    try:
        return _read_file(config, source, path, size, mtime_ns)
    except Exception as exc:  # whatever happens to one file is that file's problem
        return Problem(source, 1, f"cannot be read: {failure(exc)}")


def _read_file(config: Config, source: str, path: str, size: int, mtime_ns: int) -> _Seen | Problem:
    limits = config.store
    is_post = source.endswith(".md")
    try:
        if is_post:
            data = read_regular(path, limits.max_post_bytes, "store.max_post_bytes")
        else:
            data = read_regular(path, limits.max_asset_bytes, "store.max_asset_bytes")
    except OSError as exc:
        return Problem(source, 1, f"cannot read file: {exc.strerror or exc}")
    except Refused as exc:
        return Problem(source, 1, str(exc))
    if not is_post:
        asset = Asset("/" + source, data, ASSET_TYPES[os.path.splitext(path)[1].lower()])
        return _Seen(size, mtime_ns, None, (), asset)
    site = config.site
    post, problems = parse_post(
        source,
        data,
        author=site.author,
        language=site.language,
        timezone=config.tz,
        max_nesting=limits.max_nesting,
    )
    if post is not None:
        post = replace(post, body=None)  # read again when rendered: see read_body
    return _Seen(size, mtime_ns, post, tuple(problems), None)


def _edited(
    result: StoreResult, before: dict[str, _Seen], after: dict[str, _Seen], read: list[str]
) -> StoreResult | None:
    """`result` with the posts in `read` replaced by their new versions, when that is all
    that changed: the same files, each still a post in the same place (Post.same_place)
    with the same problems. None when the store must be collected again."""
    replaced: dict[int, Post] = {}  # by id(): a Post's own hash reads every field
    for source in read:
        old, new = before[source], after[source]
        if old.post is None or new.post is None or old.problems != new.problems:
            return None
        if not old.post.same_place(new.post):
            return None
        replaced[id(old.post)] = new.post
    posts = tuple(replaced.get(id(post), post) for post in result.posts)
    if sum(post is not old for post, old in zip(posts, result.posts, strict=True)) != len(replaced):
        return None  # one of them was skipped (a shared slug or id): collect again
    return replace(result, posts=posts)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def _collect(seen: dict[str, _Seen], walk_problems: list[Problem], root: Path) -> StoreResult:
    """Apply the rules that span files (unique slugs and ids), then order."""
    problems = list(walk_problems)
    posts: list[Post] = []
    by_slug: dict[str, Post] = {}
    by_id: dict[str, Post] = {}
    for source in sorted(seen):
        entry = seen[source]
        problems.extend(entry.problems)
        post = entry.post
        if post is None:
            continue
        folder = folder_key(post.slug)
        if folder in by_slug:
            taken = by_slug[folder]
            alike = (
                "" if taken.slug == post.slug else f" as '{taken.slug}' (one folder where case is ignored)"
            )
            message = f"slug '{post.slug}' is already used by {taken.source}{alike}; skipped"
            problems.append(Problem(source, 1, message))
        elif post.id in by_id:
            other = by_id[post.id].source
            problems.append(Problem(source, 1, f"id '{post.id}' is already used by {other}; skipped"))
        else:
            by_slug[folder] = by_id[post.id] = post
            posts.append(post)
    assets = tuple(sorted((e.asset for e in seen.values() if e.asset), key=lambda a: a.path))
    problems.sort(key=lambda p: (p.path, p.line, p.message))
    return StoreResult(tuple(sort_newest_first(posts)), tuple(problems), assets, root)


def sort_newest_first(posts: list[Post]) -> list[Post]:
    return sorted(posts, key=lambda post: post.newest_first)
