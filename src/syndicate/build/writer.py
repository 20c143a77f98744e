"""Write a Build to disk for static hosting, switching atomically.

`DIR` becomes a symbolic link to a complete copy in `DIR.builds/`; the
switch is one rename, so a web server reading `DIR` sees the old build or
the new one, never a mix. Older copies are removed afterwards.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from functools import partial
from itertools import chain, groupby
from pathlib import Path

from syndicate.build.builder import Build
from syndicate.build.resource import OnDemand, Stored
from syndicate.caching.diskcache import DiskCache
from syndicate.workers.parallel import make_in_batches, worker_count

_BATCH = 200  # folders a worker writes at a time


class WriteError(Exception):
    pass


def file_name(path: str) -> str:
    """The file a site path is written to: '/' -> 'index.html', '/page/2/' -> 'page/2/index.html'."""
    relative = path.lstrip("/")
    return relative + "index.html" if relative == "" or relative.endswith("/") else relative


def write_build(build: Build, out: Path) -> Path:
    """Write every resource under a new folder and point `out` at it; returns that folder."""
    out = out.absolute()
    check_target(out)
    _refuse_emptying(build, out)
    try:
        return _write(build, out)
    except OSError as exc:
        raise WriteError(f"{out}: cannot write the build: {exc.strerror or exc}") from None


def check_target(out: Path) -> None:
    """Refuse, before any work, an `out` that syndicate did not make or cannot make."""
    out = out.absolute()
    if out.exists() and not out.is_symlink() and (not out.is_dir() or any(out.iterdir())):
        raise WriteError(f"{out}: exists and is not a syndicate output (remove it first)")
    existing = next(folder for folder in out.parents if folder.exists())
    if not existing.is_dir():
        raise WriteError(f"{out}: cannot write there, {existing} is not a folder")


def _refuse_emptying(build: Build, out: Path) -> None:
    """A store with no post to publish does not replace a site that has some: far more often
    a volume not mounted or a folder moved than an author's wish (see syndicate.serve.site)."""
    posts = out / "posts"
    if build.published or not posts.is_dir():
        return
    count = sum(1 for entry in posts.iterdir() if entry.is_dir())
    if count:
        raise WriteError(
            f"{out}: the store has no post to publish and the site there has {count}: not replaced"
            f" (remove {out} to publish an empty site)"
        )


def _write(build: Build, out: Path) -> Path:
    if out.is_dir() and not out.is_symlink():
        out.rmdir()  # empty (check_target made sure)
    builds = out.with_name(out.name + ".builds")
    builds.mkdir(parents=True, exist_ok=True)
    # Two `build --out` into the same place (a cron job overtaking a slow run) take turns:
    # the clean-up below would otherwise remove the folder the other one is writing, or
    # has just pointed `out` to.
    lock = os.open(builds, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _write_locked(build, out, builds)
    finally:
        os.close(lock)  # and with it the lock


def _write_locked(build: Build, out: Path, builds: Path) -> Path:
    target = Path(tempfile.mkdtemp(prefix="build-", dir=builds))
    files = sorted(
        ((os.path.join(target, file_name(path)), found.content) for path, found in build.resources.items()),
        key=lambda file: (os.path.dirname(file[0]), file[0]),
    )
    # A large site's files are written on every core: making 15,000 folders and writing
    # 470 MB took seconds in one process while the other cores waited.
    folders = [
        partial(_write_folder, folder, [(name, _sent(content)) for name, content in group])
        for folder, group in groupby(files, key=lambda file: os.path.dirname(file[0]))
    ]
    contents = dict(files)
    for batch in make_in_batches(folders, _BATCH, list, worker_count(0)):
        for name in chain.from_iterable(batch):  # what the disk cache had lost: made here
            lost = contents[name]
            assert isinstance(lost, Stored)
            _write_file(name, lost.read())
    os.chmod(target, 0o755)

    link = builds / (target.name + ".link")
    os.symlink(os.path.relpath(target, out.parent), link)
    os.replace(link, out)  # atomic: readers see the old build or the new one
    for old in builds.iterdir():
        if old != target and old.name.startswith("build-"):
            shutil.rmtree(old, ignore_errors=True)
    return target


# What a worker is sent of a file: its bytes, where the disk cache keeps them (the key of
# a Stored, without how to make them again), or how to make them (a listing's page).
_Sent = bytes | tuple[DiskCache, str] | OnDemand


def _sent(content: bytes | Stored | OnDemand) -> _Sent:
    return (content.cache, content.name) if isinstance(content, Stored) else content


def _write_folder(folder: str, files: list[tuple[str, _Sent]]) -> list[str]:
    """Write the files of one folder; returns those the disk cache had lost, not written."""
    os.makedirs(folder, exist_ok=True)
    lost = []
    for name, content in files:
        # Read from the disk cache (or made), not through the bytes kept in memory for
        # serving (Resource.body): this process serves none of them.
        if isinstance(content, tuple):
            cache, key = content
            body = cache.get(key)
            if body is None:
                lost.append(name)
                continue
        else:
            body = content if isinstance(content, bytes) else content.read()
        _write_file(name, body)
    return lost


def _write_file(name: str, body: bytes) -> None:
    descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.fchmod(descriptor, 0o644)  # readable by a web server whatever the umask
    with os.fdopen(descriptor, "wb") as file:
        file.write(body)
