"""A damaged cache costs making its values again, never a failed command or wrong bytes."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from test_build import run_cli

from syndicate.caching.diskcache import DiskCache

EXAMPLE = Path(__file__).parent.parent / "examples" / "site"
PAGE = 4096  # SQLite's default page size: the first holds the header and the schema


def every_page_but_the_first(data: bytearray) -> None:
    data[PAGE:] = os.urandom(len(data) - PAGE)


def a_few_pages(data: bytearray) -> None:
    for offset in range(2 * PAGE, len(data), 4 * PAGE):
        data[offset : offset + 512] = os.urandom(512)


def cut_in_half(data: bytearray) -> None:
    del data[len(data) // 2 :]


def values_that_do_not_decode(data: bytearray) -> None:
    """Bytes inside ETags, excerpts and pages that are not UTF-8 any more: the file is sound."""
    for pattern in (rb'"[0-9a-f]{32}"', "。".encode(), b"<p>"):
        for match in re.finditer(pattern, bytes(data)):
            data[match.start() + 1 : match.start() + 3] = b"\xff\xfe"


def damage(path: Path, how: Callable[[bytearray], None]) -> None:
    data = bytearray(path.read_bytes())
    how(data)
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The example site with its caches made by a first build, and that build's files."""
    site = tmp_path_factory.mktemp("warm") / "site"
    shutil.copytree(EXAMPLE, site)
    shutil.rmtree(site / ".cache", ignore_errors=True)
    done = run_cli("build", "--config", "syndicate.toml", "--out", site / "out", cwd=site)
    assert done.returncode == 0, done.stderr
    return site, files_of(site / "out")


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def copy_of(warm: tuple[Path, dict[str, bytes]], tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(warm[0], site, symlinks=True, ignore=shutil.ignore_patterns("out", "out.builds"))
    return site


@pytest.mark.parametrize("name", ["rendered", "outputs"])
@pytest.mark.parametrize("how", [every_page_but_the_first, a_few_pages, cut_in_half])
def test_a_damaged_cache_file_is_set_aside_once_and_made_anew(
    warm: tuple[Path, dict[str, bytes]], tmp_path: Path, name: str, how: Callable[[bytearray], None]
) -> None:
    site = copy_of(warm, tmp_path)
    damage(site / ".cache" / f"{name}.sqlite3", how)
    for command in (["check"], ["build", "--out", site / "out"]):
        done = run_cli(*command, "--config", "syndicate.toml", cwd=site)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        if command == ["check"]:
            (line,) = [line for line in done.stderr.splitlines() if "cache" in line]
            assert f"{name}.sqlite3 is damaged" in line and "set aside as" in line
        else:
            assert "cache" not in done.stderr  # the new file is sound
    assert files_of(site / "out") == warm[1]
    (aside,) = (site / ".cache").glob(f"{name}.sqlite3.damaged-*")
    assert aside.stat().st_size > 0


@pytest.mark.parametrize("name", ["rendered", "outputs"])
def test_values_that_do_not_decode_are_misses_made_again(
    warm: tuple[Path, dict[str, bytes]], tmp_path: Path, name: str
) -> None:
    site = copy_of(warm, tmp_path)
    damage(site / ".cache" / f"{name}.sqlite3", values_that_do_not_decode)
    done = run_cli("build", "--config", "syndicate.toml", "--out", site / "out", cwd=site)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("holds damaged values") == 1
    assert files_of(site / "out") == warm[1]
    again = run_cli("check", "--config", "syndicate.toml", cwd=site)
    assert again.returncode == 0 and "cache" not in again.stderr  # written over with good ones
    assert not list((site / ".cache").glob("*.damaged-*"))


def sound_file(folder: Path, name: str) -> Path:
    cache = DiskCache(folder, name)
    cache.put_many({f"key{n}": os.urandom(3000) for n in range(200)})
    with sqlite3.connect(cache.path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every value in the file itself
    return cache.path


def test_damage_found_at_read_time_sets_the_file_aside(tmp_path: Path) -> None:
    path = sound_file(tmp_path, "outputs")
    cache = DiskCache(tmp_path, "outputs")  # opened while sound
    damage(path, every_page_but_the_first)
    assert cache.get("key8") is None
    assert cache.usable
    assert len(list(tmp_path.glob("outputs.sqlite3.damaged-*"))) == 1
    cache.put_many({"new": b"value"})
    assert cache.get("new") == cache.get_many(["new"])["new"] == b"value"
    with sqlite3.connect(cache.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_only_the_last_damaged_file_is_kept(tmp_path: Path) -> None:
    for _ in range(2):
        damage(sound_file(tmp_path, "rendered"), every_page_but_the_first)
        assert DiskCache(tmp_path, "rendered").get_many(["key1"]) == {}
    assert len(list(tmp_path.glob("rendered.sqlite3.damaged-*"))) == 1


def test_a_cache_folder_deleted_under_a_running_process_is_made_again(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache", "outputs")
    cache.put_many({"a": b"1"})
    assert cache.get("a") == b"1"
    shutil.rmtree(tmp_path / "cache")
    assert cache.get("a") is None
    cache.put_many({"b": b"2"})
    assert cache.usable and cache.get("b") == b"2"
