"""A first build's work done by workers, forked or started as new Pythons: the same bytes
as when it is done in one process."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from conftest import make_config, write
from test_builder import NOW, fill, on_demand, same

from syndicate.build.builder import Builder
from syndicate.build.resource import OnDemand
from syndicate.build.writer import WriteError, write_build
from syndicate.caching.diskcache import DiskCache
from syndicate.config import Config
from syndicate.render import renderer as render
from syndicate.render.renderer import Renderer
from syndicate.source.store import PostStore
from syndicate.workers import crew, parallel

_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="forked workers need fork"
)


def needs_fork(test: Callable[..., None]) -> Callable[..., None]:
    """A test of the work done by forked workers: on any machine, one CPU included, where
    `build.workers = 0` means two of them."""
    marked: Callable[..., None] = _fork(pytest.mark.usefixtures("two_cpus")(test))
    return marked


@pytest.fixture
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_usable_cpus", lambda: 2)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Work of any size goes to workers; how each worker was made is recorded: "fork", or
    "started" (a new Python)."""
    monkeypatch.setattr(parallel, "_PARALLEL_FROM", 1)
    made: list[str] = []
    can_fork = crew.can_fork

    def counted() -> bool:
        forked = can_fork()
        made.append("fork" if forked else "started")
        return forked

    monkeypatch.setattr(crew, "can_fork", counted)
    return made


@pytest.fixture
def another_thread() -> Iterator[None]:
    """A thread running, as in a server: no worker can be forked."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    yield
    stop.set()
    other.join()


@pytest.fixture(params=["fork", "started"])
def workers_made(request: pytest.FixtureRequest) -> str:
    """Each way workers are made, in turn: forked, then with another thread running."""
    if request.param == "started":
        request.getfixturevalue("another_thread")
    return str(request.param)


def pid_and(number: int) -> tuple[int, int]:
    return os.getpid(), number


def makers(count: int) -> list[Callable[[], tuple[int, int]]]:
    return [partial(pid_and, number) for number in range(count)]


@needs_fork
def test_outputs_come_back_in_order_from_other_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_PARALLEL_FROM", 10)
    batches = list(parallel.make_in_batches(makers(25), 4, list, 2))
    assert [len(batch) for batch in batches] == [4, 4, 4, 4, 4, 4, 1]
    made = [item for batch in batches for item in batch]
    assert [number for _, number in made] == list(range(25))
    assert os.getpid() not in {pid for pid, _ in made}


def pids(made: list[tuple[int, int]]) -> tuple[int, set[int]]:
    return os.getpid(), {pid for pid, _ in made}


@needs_fork
def test_each_batch_is_kept_where_it_was_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_PARALLEL_FROM", 10)
    for keeper, makers_of_batch in parallel.make_in_batches(makers(20), 5, pids, 2):
        assert makers_of_batch == {keeper} != {os.getpid()}


def test_few_outputs_are_made_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_PARALLEL_FROM", 10)
    made = [item for batch in parallel.make_in_batches(makers(9), 4, list, 2) for item in batch]
    assert made == [(os.getpid(), number) for number in range(9)]


def test_one_worker_makes_everything_here(forks: list[str]) -> None:
    made = [item for batch in parallel.make_in_batches(makers(30), 4, list, 1) for item in batch]
    assert made == [(os.getpid(), number) for number in range(30)]
    assert forks == []


def quota_files(folder: Path, *texts: str) -> tuple[Path, ...]:
    paths = tuple(folder / f"quota{number}" for number in range(len(texts)))
    for path, text in zip(paths, texts, strict=True):
        path.write_text(text)
    return paths


@pytest.mark.parametrize(
    ("v2", "v1", "workers"),
    [
        (None, None, 6),  # no container limit: the CPUs it may run on
        (("150000 100000\n",), None, 2),  # cgroup v2: 1.5 CPUs, rounded up
        (("max 100000\n",), None, 6),
        (("20000 100000\n",), None, 1),  # a fifth of a CPU still gets one worker
        (None, ("300000\n", "100000\n"), 3),  # cgroup v1
        (None, ("-1\n", "100000\n"), 6),
        (("garbled\n",), ("200000\n", "100000\n"), 2),  # an unreadable v2 file: v1 is asked
    ],
)
def test_workers_follow_the_cpus_this_process_may_use(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    v2: tuple[str] | None,
    v1: tuple[str, str] | None,
    workers: int,
) -> None:
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: set(range(6)), raising=False)
    (tmp_path / "v2").mkdir()
    (tmp_path / "v1").mkdir()
    quotas = (
        quota_files(tmp_path / "v2", *v2) if v2 else (tmp_path / "v2" / "absent",),
        quota_files(tmp_path / "v1", *v1) if v1 else (tmp_path / "v1" / "absent", tmp_path / "v1" / "absent"),
    )
    monkeypatch.setattr(parallel, "_CPU_QUOTAS", quotas)
    assert parallel.worker_count(0) == workers
    assert parallel.worker_count(4) == 4  # build.workers, when set, is taken as it is


def test_no_more_than_eight_workers_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(parallel, "_CPU_QUOTAS", ())
    assert parallel.worker_count(0) == 8
    assert parallel.worker_count(12) == 12


@pytest.mark.usefixtures("another_thread")
def test_with_another_thread_running_the_work_goes_to_new_pythons(forks: list[str]) -> None:
    made = [item for batch in parallel.make_in_batches(makers(30), 4, list, 2) for item in batch]
    assert [number for _, number in made] == list(range(30))
    assert os.getpid() not in {pid for pid, _ in made}
    assert forks == ["started", "started"]


def fail() -> bytes:
    raise ValueError("a template is broken")


@needs_fork
def test_a_worker_failure_is_raised_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_PARALLEL_FROM", 1)
    with pytest.raises(ValueError, match="a template is broken"):
        list(parallel.make_in_batches([fail, fail], 1, list, 2))


def die() -> bytes:
    os._exit(1)  # as the OOM killer would end it


@needs_fork
@pytest.mark.usefixtures("forks")
def test_a_worker_that_dies_fails_the_work_instead_of_hanging() -> None:
    with pytest.raises(RuntimeError, match=r"a worker process died \(exit code 1\)"):
        list(parallel.make_in_batches([die, die, die, die], 1, list, 2))


@needs_fork
@pytest.mark.parametrize("cached", [True, False])
def test_a_build_made_by_workers_is_the_build_made_here(
    store: Path, tmp_path: Path, request: pytest.FixtureRequest, cached: bool, workers_made: str
) -> None:
    fill(store, 40)
    config = make_config(store)
    here = Builder(config, tmp_path / "here" if cached else None).build(PostStore(config).load(), NOW)
    forks = request.getfixturevalue("forks")
    builder = Builder(config, tmp_path / "forked" if cached else None)
    forked = builder.build(PostStore(config).load(), NOW)
    assert workers_made in forks
    assert builder.made == len(forked.resources) - len(on_demand(forked)) > 50
    assert same(forked, here)
    if cached:  # the workers' bytes are on disk: a restart makes nothing
        restarted = Builder(config, tmp_path / "forked")
        assert same(restarted.build(PostStore(config).load(), NOW), here)
        assert restarted.made == 0


def test_build_workers_1_builds_in_one_process_and_renders_in_one_worker(
    store: Path, tmp_path: Path, forks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "_PARALLEL_FROM", 1)
    fill(store, 40)
    config = make_config(store)
    config = dataclasses.replace(config, build=dataclasses.replace(config.build, workers=1))
    built = Builder(config, tmp_path / "cache").build(PostStore(config).load(), NOW)
    assert forks == ["fork"]  # the one render worker, which can be stopped
    assert same(built, Builder(config).build(PostStore(config).load(), NOW))
    # Another worker count leaves the outputs on disk as good as they were.
    config = dataclasses.replace(config, build=dataclasses.replace(config.build, workers=3))
    restarted = Builder(config, tmp_path / "cache")
    assert same(restarted.build(PostStore(config).load(), NOW), built)
    assert restarted.made == 0


@needs_fork
def test_what_a_worker_cannot_write_to_the_cache_stays_in_memory(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store, 40)
    config = make_config(store)
    here = Builder(config).build(PostStore(config).load(), NOW)
    parent = os.getpid()

    def locked(self: DiskCache) -> object:
        if os.getpid() != parent:
            raise sqlite3.OperationalError("database is locked")
        return original(self)

    original = DiskCache._writer
    monkeypatch.setattr(DiskCache, "_writer", locked)
    monkeypatch.setattr(parallel, "_PARALLEL_FROM", 1)
    forked = Builder(config, tmp_path / "cache").build(PostStore(config).load(), NOW)
    assert same(forked, here)
    assert all(isinstance(resource.content, bytes | OnDemand) for resource in forked.resources.values())


@needs_fork
def test_a_store_read_by_workers_is_the_store_read_here(
    store: Path, request: pytest.FixtureRequest, workers_made: str
) -> None:
    fill(store, 30)
    write(store, "broken.md", "---\ntitle: Broken\ndate: someday\n---\n")
    (store / "pixel.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    config = make_config(store)
    here = PostStore(config).load()
    forks = request.getfixturevalue("forks")
    forked_store = PostStore(config)
    forked = forked_store.load()
    assert workers_made in forks
    assert forked_store.files_read == 32
    assert (forked.posts, forked.problems, forked.assets) == (here.posts, here.problems, here.assets)
    assert forked.problems and forked.assets


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below `folder`: its bytes and mode."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mode)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@needs_fork
@pytest.mark.parametrize("cached", [True, False])
def test_a_site_written_by_workers_is_the_site_written_here(
    store: Path, tmp_path: Path, request: pytest.FixtureRequest, cached: bool, workers_made: str
) -> None:
    fill(store, 40)
    config = make_config(store)
    build = Builder(config, tmp_path / "cache" if cached else None).build(PostStore(config).load(), NOW)
    here = write_build(build, tmp_path / "here")
    forks = request.getfixturevalue("forks")
    forked = write_build(build, tmp_path / "forked")
    assert workers_made in forks
    written = tree(forked)
    assert written == tree(here)
    assert len(written) == len(build.resources)
    assert {mode & 0o777 for _, mode in written.values()} == {0o644}


@needs_fork
def test_files_the_disk_cache_lost_are_made_again_and_written(
    store: Path, tmp_path: Path, request: pytest.FixtureRequest, workers_made: str
) -> None:
    fill(store, 40)
    config = make_config(store)
    build = Builder(config, tmp_path / "cache").build(PostStore(config).load(), NOW)
    here = tree(write_build(build, tmp_path / "here"))
    DiskCache(tmp_path / "cache", "outputs").keep_only(set())  # every body gone
    forks = request.getfixturevalue("forks")
    assert tree(write_build(build, tmp_path / "forked")) == here
    assert workers_made in forks


@needs_fork
def test_a_file_a_worker_cannot_write_fails_the_write(
    store: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    fill(store, 40)
    config = make_config(store)
    build = Builder(config).build(PostStore(config).load(), NOW)
    # Two paths that are one file: the second cannot be made.
    clash = dataclasses.replace(
        build, resources={**build.resources, "/atom.xml/": build.resources["/atom.xml"]}
    )
    request.getfixturevalue("forks")
    with pytest.raises(WriteError):
        write_build(clash, tmp_path / "out")


def rendered(config: Config, cache: Path | None, store: PostStore) -> tuple[Renderer, list[tuple[str, str]]]:
    result = store.load()
    renderer = Renderer(config, cache)
    entries = renderer.entries(list(result.posts), result.root)
    return renderer, [(entry.html, entry.excerpt) for entry in entries]


@pytest.fixture
def render_in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "_PARALLEL_FROM", 10)


@needs_fork
@pytest.mark.usefixtures("render_in_workers")
@pytest.mark.parametrize("cached", [True, False])
def test_posts_rendered_by_forked_workers_are_the_posts_rendered_here(
    store: Path, tmp_path: Path, request: pytest.FixtureRequest, cached: bool
) -> None:
    fill(store, 30)
    config = make_config(store)
    here_config = dataclasses.replace(config, build=dataclasses.replace(config.build, workers=1))
    _, here = rendered(here_config, None, PostStore(config))
    forks = request.getfixturevalue("forks")
    renderer, forked = rendered(config, tmp_path / "cache" if cached else None, PostStore(config))
    assert "fork" in forks
    assert renderer.rendered == 30
    assert forked == here
    if cached:  # the workers wrote what they rendered: a restart renders nothing
        restarted, again = rendered(config, tmp_path / "cache", PostStore(config))
        assert restarted.rendered == 0
        assert again == here


@needs_fork
@pytest.mark.usefixtures("render_in_workers")
def test_with_another_thread_running_posts_render_in_started_workers(
    store: Path, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []

    def start(fd: int) -> crew._Started:
        started.append(fd)
        return original(fd)

    original = crew._Started
    monkeypatch.setattr(crew, "_Started", start)
    fill(store, 30)
    config = make_config(store)
    _, here = rendered(
        dataclasses.replace(config, build=dataclasses.replace(config.build, workers=1)),
        None,
        PostStore(config),
    )
    loaded = PostStore(config)
    loaded.load()  # read here: loaded again, it reads nothing, so only renderers are started
    forks = request.getfixturevalue("forks")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        _, spawned = rendered(config, tmp_path / "cache", loaded)
    finally:
        stop.set()
        other.join()
    assert "fork" not in forks and len(started) == parallel.worker_count(0)  # new Pythons, one per worker
    assert spawned == here
    assert rendered(config, tmp_path / "cache", PostStore(config))[0].rendered == 0


@needs_fork
@pytest.mark.usefixtures("render_in_workers")
def test_what_a_render_worker_cannot_write_to_the_cache_stays_in_memory(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store, 30)
    config = make_config(store)
    _, here = rendered(config, None, PostStore(config))
    parent = os.getpid()

    def locked(self: DiskCache) -> object:
        if os.getpid() != parent:
            raise sqlite3.OperationalError("database is locked")
        return original(self)

    original = DiskCache._writer
    monkeypatch.setattr(DiskCache, "_writer", locked)
    result = PostStore(config).load()
    entries = Renderer(config, tmp_path / "cache").entries(list(result.posts), result.root)
    assert all(isinstance(entry.content, str) for entry in entries)
    assert [(entry.html, entry.excerpt) for entry in entries] == here
