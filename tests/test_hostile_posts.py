"""Hostile and careless posts (issue 14): each one is one problem line naming its file, and
the post is skipped; nothing in the store stops, crashes or hangs the rest."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import make_config, write
from serving import Server, start, stop, wait_for

import syndicate.source.frontmatter as frontmatter_module
from syndicate.authoring.newpost import new_post
from syndicate.build.builder import Builder
from syndicate.config import Config
from syndicate.render.renderer import Renderer
from syndicate.source import store as store_module
from syndicate.source.frontmatter import parse_post
from syndicate.source.safefile import Refused, read_regular
from syndicate.source.store import PostChanged, PostStore, StoreResult, read_body

GOOD = "---\ntitle: Good post\ndate: 2026-01-11\ncategory: Notes\n---\nHello.\n"
H = "---\ntitle: Bad\ndate: 2026-01-02\n"  # a post's first lines: its next field is on line 4
NOW = datetime(2026, 6, 1, tzinfo=UTC)

OUT_OF_RANGE = "is out of range: in UTC every date must fall between 0001-01-02 and 9999-12-30"
TOO_DEEP = "front matter nested more than 50 levels deep (store.max_nesting); not read"
NESTED = "lists and quotes nested {} levels deep, more than store.max_nesting (50)"
CONTROL = "holds U+{} (a control character): remove it"
NONCHARACTER = "holds U+{} (a Unicode non-character): remove it"
LONG = "bytes long, more than the 200 a file name may have everywhere"
DEVICE = "is a name Windows keeps for a device"
TOML = '+++\ntitle = "Bad"\ndate = 2026-01-02\n'  # the same in TOML

# (what bad.md holds, the one problem line it must give)
BAD_POSTS = {
    "category control": (H + 'category: "v\\x01x"\n---\n', f"4: error: 'category' {CONTROL.format('0001')}"),
    "tag control": (H + 'tags: [ok, "v\\x01x"]\n---\n', f"4: error: 'tags' {CONTROL.format('0001')}"),
    "author control": (H + 'author: "v\\x01x"\n---\n', f"4: error: 'author' {CONTROL.format('0001')}"),
    "image control": (H + 'image: "v\\x01x.png"\n---\n', f"4: error: 'image' {CONTROL.format('0001')}"),
    "title control": (
        '---\ntitle: "v\\x01x"\ndate: 2026-01-02\n---\n',
        f"2: error: 'title' {CONTROL.format('0001')}",
    ),
    "summary DEL": (H + 'summary: "v\\x7fx"\n---\n', f"4: error: 'summary' {CONTROL.format('007F')}"),
    "lang C1": (H + 'lang: "v\\x85x"\n---\n', f"4: error: 'lang' {CONTROL.format('0085')}"),
    "unknown field U+FFFE": (
        H + 'colour: "\\uFFFE"\n---\n',
        f"4: error: 'colour' {NONCHARACTER.format('FFFE')}",
    ),
    "TOML U+FDD0": (
        TOML + 'summary = "a\\uFDD0b"\n+++\n',
        f"4: error: 'summary' {NONCHARACTER.format('FDD0')}",
    ),
    "TOML U+1FFFF": (
        TOML + 'summary = "a\\U0001FFFFb"\n+++\n',
        f"4: error: 'summary' {NONCHARACTER.format('1FFFF')}",
    ),
    "field name control": (H + '"a\\x01": 1\n---\n', f"1: error: a field name {CONTROL.format('0001')}"),
    "updated overflows UTC": (
        H + "updated: 9999-12-31T23:59:59-12:00\n---\n",
        f"4: error: 'updated' 9999-12-31T23:59:59-12:00 {OUT_OF_RANGE}",
    ),
    "date before year 1 in UTC": (
        "---\ntitle: Bad\ndate: 0001-01-01T00:00:00+14:00\n---\n",
        f"3: error: 'date' 0001-01-01T00:00:00+14:00 {OUT_OF_RANGE}",
    ),
    "date the scheduler cannot take": (
        "---\ntitle: Bad\ndate: 9999-12-31T23:59:59-12:00\n---\n",
        f"3: error: 'date' 9999-12-31T23:59:59-12:00 {OUT_OF_RANGE}",
    ),
    "TOML date": (
        '+++\ntitle = "Bad"\ndate = 9999-12-31T23:59:59-12:00\n+++\n',
        f"3: error: 'date' 9999-12-31T23:59:59-12:00 {OUT_OF_RANGE}",
    ),
    # In the site's zone, Asia/Shanghai, midnight of year 1 is year 0 in UTC.
    "date out of range in the site's zone": (
        "---\ntitle: Bad\ndate: 0001-01-01\n---\n",
        f"3: error: 'date' 0001-01-01T00:00:00+08:05:43 {OUT_OF_RANGE}",
    ),
    "offset with seconds": (
        "---\ntitle: Bad\ndate: 2026-01-01T00:00:00+05:30:15\n---\n",
        "3: error: 'date' 2026-01-01T00:00:00+05:30:15 has an offset with seconds (+05:30:15), which feeds"
        " cannot write: give it in hours and minutes, such as +08:00",
    ),
    "slug of 5,000 letters": (
        H + "slug: " + "a" * 5000 + "\n---\n",
        f"4: error: the slug '{'a' * 40}…' is 5,000 {LONG}",
    ),
    "slug of 201 bytes": (
        H + "slug: " + "a" * 201 + "\n---\n",
        f"4: error: the slug '{'a' * 40}…' is 201 {LONG}",
    ),
    "slug a device": (H + "slug: Aux.html\n---\n", f"4: error: the slug 'Aux.html' {DEVICE}"),
    "slug ending with a dot": (
        H + "slug: a.\n---\n",
        "4: error: the slug 'a.' ends with '.', which Windows drops from file names",
    ),
    "tag a device": (
        H + "tags: [ok, nul]\n---\n",
        f"4: error: the tag 'nul' makes the slug 'nul', which {DEVICE}",
    ),
    "category too long": (
        H + "category: " + "x" * 300 + "\n---\n",
        f"4: error: the category '{'x' * 40}…' makes the slug '{'x' * 40}…', which is 300 {LONG}",
    ),
    "YAML flow 50,000 deep": (H + "x: " + "[" * 50_000 + "]" * 50_000 + "\n---\n", f"4: error: {TOO_DEEP}"),
    "YAML block 50,000 deep": (H + "x:\n  " + "- " * 50_000 + "x\n---\n", f"5: error: {TOO_DEEP}"),
    "YAML mappings 60 deep": (
        H + "".join(" " * i + f"k{i}:\n" for i in range(60)) + "---\n",
        f"54: error: {TOO_DEEP}",
    ),
    "YAML 51 deep": (H + "x: " + "[" * 50 + "]" * 50 + "\n---\n", f"4: error: {TOO_DEEP}"),
    "TOML arrays": (TOML + "x = " + "[" * 3000 + "]" * 3000 + "\n+++\n", f"4: error: {TOO_DEEP}"),
    "TOML inline tables": (
        TOML + "x = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n+++\n",
        f"4: error: {TOO_DEEP}",
    ),
    "TOML dotted key": (TOML + "a" + ".a" * 50_000 + " = 1\n+++\n", f"4: error: {TOO_DEEP}"),
    "TOML table header": (TOML + "[" + "a." * 50_000 + "a]\nx = 1\n+++\n", f"4: error: {TOO_DEEP}"),
    "list items 500 deep": (H + "---\n" + "- " * 500 + "x\n", "5: error: " + NESTED.format(500)),
    "quotes 100 deep": (H + "---\ntext\n\n" + "> " * 100 + "x\n", "7: error: " + NESTED.format(100)),
    "list items indented 60 deep": (
        H + "---\n" + "".join(" " * (4 * i) + "- x\n" for i in range(60)),
        "55: error: " + NESTED.format(51),
    ),
    "101 tags": (
        H + "tags: [" + ", ".join(f"t{n}" for n in range(101)) + "]\n---\n",
        "4: error: 101 tags, more than a post may have (100)",
    ),
    "integer of 5,000 digits": (
        H + "x: " + "1" * 5000 + "\n---\n",
        "1: error: bad YAML front matter: ValueError: Exceeds the limit (4300 digits) for integer string",
    ),
}


# Posts that come near the limits and load.
NEAR_POSTS = {
    "YAML 50 deep": H + "x: " + "[" * 49 + "]" * 49 + "\n---\n",
    "TOML 50 deep": '+++\ntitle = "Bad"\ndate = 2026-01-02\nx = ' + "[" * 49 + "]" * 49 + "\n+++\n",
    "list items 50 deep": H + "---\n" + "- " * 50 + "x\n",
    "lists in fenced code": H + "---\n```\n" + "- " * 100 + "x\n```\n",
    "slug of 200 bytes": H + "slug: " + "a" * 200 + "\n---\n",
    "100 tags": H + "tags: [" + ", ".join(f"t{n}" for n in range(100)) + "]\n---\n",
    "tab, newline and CR": H + 'summary: "a\\tb\\nc\\rd"\n---\n',
    "dates at both ends": "---\ntitle: Ends\ndate: 0001-01-02T00:00:00Z\n"
    "updated: 9999-12-30T23:59:59Z\n---\n",
    "YAML aliases a billion strong": H
    + "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "---\n",
    "YAML alias holding itself": H + "x: &a [*a]\n---\n",
    "brackets in YAML strings": H + "summary: '" + "[{" * 100 + "'\nlinks: [a-b, c-d, e-f]\n---\n",
    "dashes and colons in a title": "---\ntitle: " + "a-b:c " * 60 + "\ndate: 2026-01-02\n---\n",
    "brackets in TOML strings": TOML + 'summary = "' + "[{" * 100 + "\"\nx = '''" + "[" * 100 + "'''\n+++\n",
    "TOML floats and dotted keys": TOML + "a.b.c = [1.5, 2.5, {d.e = 3.5}]\n[t.u]\nv.w = 1\n+++\n",
}


def load(store: Path, config: Config | None = None) -> StoreResult:
    return PostStore(config or make_config(store)).load()


def errors(result: StoreResult) -> list[str]:
    return [str(problem) for problem in result.problems if problem.severity == "error"]


@pytest.mark.parametrize("case", BAD_POSTS)
def test_a_bad_post_is_one_problem_line_and_the_others_load(store: Path, case: str) -> None:
    text, expected = BAD_POSTS[case]
    write(store, "good.md", GOOD)
    write(store, "bad.md", text)
    result = load(store)
    assert [post.source for post in result.posts] == ["good.md"]
    (error,) = errors(result)
    assert error.startswith("bad.md:" + expected), error
    assert "\n" not in error and len(error) < 400


@pytest.mark.parametrize("case", NEAR_POSTS)
def test_a_post_near_the_limits_loads(store: Path, case: str) -> None:
    write(store, "near.md", NEAR_POSTS[case])
    result = load(store)
    assert errors(result) == []
    assert [post.source for post in result.posts] == ["near.md"]


def test_the_limits_are_settings(store: Path) -> None:
    config = make_config(store)
    config = dataclasses.replace(config, store=dataclasses.replace(config.store, max_nesting=3))
    write(store, "two.md", H + "x: [[1]]\n---\n- - x\n")
    write(store, "three.md", H + "x: [[[1]]]\n---\n")
    write(store, "quotes.md", H + "---\n> > > > x\n")
    result = load(store, config)
    assert [post.source for post in result.posts] == ["two.md"]
    assert errors(result) == [
        "quotes.md:5: error: lists and quotes nested 4 levels deep, more than store.max_nesting (3)",
        "three.md:4: error: front matter nested more than 3 levels deep (store.max_nesting); not read",
    ]


def test_files_over_their_size_are_not_read(store: Path) -> None:
    config = make_config(store)
    config = dataclasses.replace(
        config, store=dataclasses.replace(config.store, max_post_bytes=1000, max_asset_bytes=100)
    )
    write(store, "good.md", GOOD)
    write(store, "big.md", GOOD + "x" * 1000)
    write(store, "big.png", b"\x89PNG" + b"\0" * 100)
    write(store, "small.png", b"\x89PNG")
    result = load(store, config)
    assert [post.source for post in result.posts] == ["good.md"]
    assert [asset.path for asset in result.assets] == ["/small.png"]
    assert errors(result) == [
        "big.md:1: error: file is larger than store.max_post_bytes (1,000 bytes); not read",
        "big.png:1: error: file is larger than store.max_asset_bytes (100 bytes); not read",
    ]


def test_a_fifo_is_not_read(store: Path) -> None:
    write(store, "good.md", GOOD)
    os.mkfifo(store / "pipe.md")
    os.mkdir(store / "images")
    os.mkfifo(store / "images" / "pipe.png")
    result = load(store)  # a plain open() of either would wait for a writer forever
    assert [post.source for post in result.posts] == ["good.md"]
    assert errors(result) == [
        "images/pipe.png:1: error: a FIFO, not a regular file; not read",
        "pipe.md:1: error: a FIFO, not a regular file; not read",
    ]


def test_a_file_swapped_for_a_fifo_after_the_walk_is_not_read(store: Path) -> None:
    os.mkfifo(store / "pipe.md")
    with pytest.raises(Refused, match=r"^a FIFO, not a regular file; not read$"):
        read_regular(store / "pipe.md", 1000, "store.max_post_bytes")
    problem = store_module._read(make_config(store), "pipe.md", str(store / "pipe.md"), 0, 0)
    assert str(problem) == "pipe.md:1: error: a FIFO, not a regular file; not read"


def test_a_post_swapped_for_a_fifo_or_grown_before_it_is_rendered_changed(store: Path) -> None:
    write(store, "a.md", GOOD)
    (post,) = load(store).posts
    (store / "a.md").unlink()
    os.mkfifo(store / "a.md")
    with pytest.raises(PostChanged, match=r"^a\.md: changed while the site was being built$"):
        read_body(store, post)
    (store / "a.md").unlink()
    write(store, "a.md", GOOD + "x" * 10_000_000)
    with pytest.raises(PostChanged, match=r"^a\.md: changed while the site was being built$"):
        read_body(store, post)


def test_new_is_not_blocked_by_a_fifo_in_the_store(store: Path) -> None:
    os.mkfifo(store / "pipe.md")
    assert new_post(make_config(store), "A title", now=NOW) == 0  # it reads the store's slugs


def test_file_names_that_are_not_text_are_not_read(store: Path) -> None:
    write(store, "good.md", GOOD)
    write(store, "a\x1b[2Jb.md", GOOD)
    with open(os.path.join(os.fsencode(store), b"c\xff.md"), "wb") as file:  # not UTF-8
        file.write(GOOD.encode())
    result = load(store)
    assert [post.source for post in result.posts] == ["good.md"]
    assert errors(result) == [
        "a\\x1b[2Jb.md:1: error: the file name holds U+001B (a control character): rename it; not read",
        "c\\udcff.md:1: error: the file name holds U+DCFF (a lone surrogate, not a character): rename it;"
        " not read",
    ]


def test_a_file_name_that_makes_no_usable_slug(store: Path) -> None:
    write(store, "!!!.md", GOOD)
    write(store, "a" * 230 + ".md", GOOD)
    result = load(store)
    assert result.posts == ()
    assert errors(result) == [
        "!!!.md:1: error: the slug '' is empty: set a 'slug' of letters and digits",
        f"{'a' * 230}.md:1: error: the slug '{'a' * 40}…' is 230 bytes long, more than the 200 a file name"
        " may have everywhere",
    ]


def test_any_failure_while_parsing_is_a_problem_of_that_post(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom\nwith a second line")

    monkeypatch.setattr(frontmatter_module, "_make_post", broken)
    post, problems = parse_post("a.md", GOOD.encode(), author="A", language="en", timezone=UTC)
    assert post is None
    assert [str(problem) for problem in problems] == [
        "a.md:1: error: cannot be read: RuntimeError: boom with a second line"
    ]


def test_twenty_thousand_unknown_fields_are_kept_and_warned_of_in_eleven_lines(store: Path) -> None:
    # (Their lines were once searched anew for each field: 75 s. bench/ measures speed.)
    fields = "".join(f'unknown_{i} = "value {i}"\n' for i in range(20_000))
    write(store, "many.md", f'+++\ntitle = "T"\ndate = 2026-01-01\n{fields}+++\nBody.\n')
    result = load(store)
    assert len(result.posts) == 1 and result.posts[0].extra["unknown_19999"] == "value 19999"
    warned = [str(problem) for problem in result.problems]
    assert len(warned) == 11
    assert warned[9] == "many.md:13: warning: unknown field 'unknown_9' (kept; a typo?)"
    assert warned[10] == "many.md:14: warning: and 19,990 more unknown fields (kept)"


# Python-Markdown recurses on this until RecursionError; no limit short of it can tell.
# Emphasis nested 2,000 deep, and a table of contents to be put in: placing it walks the
# nesting recursively. (Without the marker the post renders: no table is made.)
RECURSING = "---\ntitle: Recursing\ndate: 2026-01-03\n---\n[TOC]\n\n" + "_" * 2000 + "a" + "_" * 2000 + "\n"
RECURSION_PROBLEM = (
    "recursing.md:1: error: cannot be rendered: it nests too deeply for the Markdown converter"
    " (RecursionError); skipped"
)


def test_a_post_that_cannot_be_rendered_is_skipped_and_reported(store: Path) -> None:
    write(store, "good.md", GOOD)
    write(store, "recursing.md", RECURSING)
    result = load(store)
    builder = Builder(make_config(store))
    build = builder.build(result, NOW)
    assert builder.renderer.rendered == 2
    assert [str(problem) for problem in build.problems] == [RECURSION_PROBLEM]
    assert [post.source for post in build.published] == ["good.md"]
    assert "/posts/good/" in build.resources and "/posts/recursing/" not in build.resources
    assert b"Recursing" not in build.resources["/atom.xml"].body

    write(store, "other.md", GOOD.replace("Good post", "Other").replace("11", "12"))
    build = builder.build(load(store), NOW)
    assert builder.renderer.rendered == 1  # the new post; the failed one is not tried again
    assert [str(problem) for problem in build.problems] == [RECURSION_PROBLEM]

    write(store, "recursing.md", RECURSING.replace("_" * 2000, "_"))
    build = builder.build(load(store), NOW)
    assert build.problems == ()
    assert "/posts/recursing/" in build.resources


def test_a_post_that_cannot_be_rendered_in_a_worker_comes_back_as_its_problem(store: Path) -> None:
    for number in range(250):  # enough for the renderer to start its worker processes
        write(store, f"p{number}.md", f"---\ntitle: P{number}\ndate: 2026-01-01\n---\nText {number}.\n")
    write(store, "recursing.md", RECURSING)
    config = make_config(store)
    config = dataclasses.replace(config, build=dataclasses.replace(config.build, workers=2))
    renderer = Renderer(config)
    posts = list(load(store, config).posts)
    entries = renderer.entries(posts, store)
    assert len(entries) == 250 and renderer.rendered == 251
    assert [str(problem) for problem in renderer.failed.values()] == [RECURSION_PROBLEM]


# Posts Python-Markdown renders for seconds to minutes (on a 2-CPU machine: 88 s, 4.9 s
# and 17 s): each is stopped at build.render_timeout and skipped. (3,000 list lines each
# indented one more, which it renders for longer than a minute, never reach it: they nest
# deeper than store.max_nesting.)
SLOW_POSTS = {
    "slow-brackets.md": "[" * 20_000 + "a" + "]" * 20_000,
    "slow-links.md": "[" * 4000 + "x" + "](" * 4000,
    "slow-footnotes.md": "".join(f"Note [^{n}].\n" for n in range(20_000))
    + "\n"
    + "".join(f"[^{n}]: Text {n}.\n" for n in range(20_000)),
}
TOO_LONG = "cannot be rendered: it took longer than build.render_timeout ({} s): stopped; skipped"


def slow_post(title: str, body: str) -> str:
    return f"---\ntitle: {title}\ndate: 2026-01-04\n---\n{body}\n"


def run(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "syndicate.toml"
    settings = (
        '[site]\ntimezone = "Asia/Shanghai"\n[store]\npath = "content"\n'
        '[build]\ncache_dir = "cache"\nrender_timeout = 1\n'
    )
    config.write_text(settings, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "syndicate.cli", *arguments, "--config", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={key: value for key, value in os.environ.items() if not key.startswith("SYNDICATE_")},
    )


def hostile_store(store: Path) -> list[str]:
    """Every bad post of BAD_POSTS and the rest of this file's, beside a good one; the
    problem lines `check` must print for them."""
    write(store, "good.md", GOOD)
    expected = []
    for number, (text, line) in enumerate(BAD_POSTS.values()):
        write(store, f"bad-{number:02d}.md", text)
        expected.append(f"content/bad-{number:02d}.md:{line}")
    write(store, "recursing.md", RECURSING)
    expected.append("content/" + RECURSION_PROBLEM)
    for name, body in SLOW_POSTS.items():
        write(store, name, slow_post(name, body))
        expected.append(f"content/{name}:1: error: {TOO_LONG.format(1)}")
    os.mkfifo(store / "pipe.md")
    os.mkfifo(store / "pipe.png")
    expected += [
        f"content/{name}:1: error: a FIFO, not a regular file; not read" for name in ("pipe.md", "pipe.png")
    ]
    return expected


def test_check_and_build_report_every_hostile_post_and_build_the_rest(tmp_path: Path) -> None:
    expected = hostile_store(tmp_path / "content")
    check = run(tmp_path, "check")
    assert check.returncode == 1, check.stderr
    assert "Traceback" not in check.stderr + check.stdout
    printed = check.stdout.splitlines()
    for line in expected:
        assert any(printed_line.startswith(line) for printed_line in printed), line
    assert len(printed) == len(expected) + 1  # and the summary
    posts = 2 + len(SLOW_POSTS)
    assert printed[-1].startswith(
        f"{posts} posts (1 published, 0 drafts, 0 scheduled), {len(expected)} skipped"
    )

    build = run(tmp_path, "build", "--out", "site")
    assert build.returncode == 0, build.stderr
    assert build.stdout.splitlines()[: len(expected)] == printed[:-1]
    assert (tmp_path / "site" / "posts" / "good" / "index.html").is_file()
    assert sorted(path.name for path in (tmp_path / "site" / "posts").iterdir()) == ["good"]
    assert b"Good post" in (tmp_path / "site" / "atom.xml").read_bytes()


def test_a_server_starts_serves_and_keeps_rebuilding_beside_hostile_posts(tmp_path: Path) -> None:
    expected = hostile_store(tmp_path / "content")
    write(tmp_path / "content", "last.md", "---\ntitle: Last\ndate: 9999-12-30T23:59:59Z\n---\nDue last.\n")
    server = start(tmp_path, SYNDICATE_SITE_TIMEZONE="Asia/Shanghai", SYNDICATE_BUILD_RENDER_TIMEOUT="1")
    try:
        health = server.get("/healthz").json()
        assert health["status"] == "ok" and health["posts"] == 1
        assert health["next_due"] == "9999-12-30T23:59:59+00:00"
        skipped = [f"content/{p['path']}:{p['line']}: error: {p['reason']}" for p in health["skipped"]]
        assert len(skipped) == len(expected)
        for line in expected:
            assert any(shown.startswith(line) for shown in skipped), line
        assert [entry.title for entry in server.feed().entries] == ["Good post"]
        assert server.get("/posts/good/").status_code == 200

        # Dropped into the running server: the next rebuilds skip them and go on.
        write(server.store, "deep.md", H + "x: " + "[" * 50_000 + "]" * 50_000 + "\n---\n")
        write(server.store, "recursing-too.md", RECURSING.replace("Recursing", "Recursing too"))
        write(server.store, "slow-too.md", slow_post("Slow too", SLOW_POSTS["slow-brackets.md"]))
        os.mkfifo(server.store / "pipe-too.md")
        write(server.store, "new.md", GOOD.replace("Good post", "New post").replace("11", "12"))
        wait_for(lambda: [entry.title for entry in server.feed().entries] == ["New post", "Good post"])
        health = server.get("/healthz").json()
        assert health["status"] == "ok" and health["last_error"] is None
        reasons = {p["path"]: p["reason"] for p in health["skipped"]}
        assert reasons["deep.md"] == TOO_DEEP
        assert reasons["recursing-too.md"] == RECURSION_PROBLEM.split(": error: ", 1)[1]
        assert reasons["pipe-too.md"] == "a FIFO, not a regular file; not read"
        assert reasons["slow-too.md"] == TOO_LONG.format(1)
        assert server.process.poll() is None
    finally:
        stop(server)
    assert "Traceback" not in server.log.read_text()


def test_new_never_writes_a_slug_the_store_refuses(store: Path) -> None:
    config = make_config(store)
    assert new_post(config, "Con", now=NOW) == 0
    assert new_post(config, "字" * 100, now=NOW) == 0
    result = load(store)
    assert errors(result) == []
    assert sorted(post.slug for post in result.posts) == ["con-post", "字" * 50]


def metric(server: Server, name: str) -> float:
    (line,) = [line for line in server.get("/metrics").text.splitlines() if line.startswith(name + " ")]
    return float(line.split()[1])


def test_a_post_that_renders_too_long_is_skipped_by_a_server_until_it_is_fixed(tmp_path: Path) -> None:
    store = tmp_path / "content"
    write(store, "good.md", GOOD)
    write(store, "slow.md", slow_post("Slow", SLOW_POSTS["slow-brackets.md"]))
    server = start(tmp_path, SYNDICATE_BUILD_RENDER_TIMEOUT="2")
    try:
        health = server.get("/healthz").json()
        assert health["status"] == "ok" and health["posts"] == 1
        assert [(p["path"], p["line"], p["reason"]) for p in health["skipped"]] == [
            ("slow.md", 1, TOO_LONG.format(2))
        ]
        assert [entry.title for entry in server.feed().entries] == ["Good post"]
        assert server.get("/posts/good/").status_code == 200
        assert server.get("/posts/slow/").status_code == 404

        # Not rendered again while unchanged: the rebuilds that publish a new post beside it
        # spend less than the bound between them.
        spent = metric(server, "syndicate_rebuild_duration_seconds_total")
        write(store, "new.md", GOOD.replace("Good post", "New post").replace("11", "12"))
        wait_for(lambda: [entry.title for entry in server.feed().entries] == ["New post", "Good post"])
        assert metric(server, "syndicate_rebuild_duration_seconds_total") - spent < 2
        assert [p["path"] for p in server.get("/healthz").json()["skipped"]] == ["slow.md"]

        write(store, "slow.md", slow_post("Slow", "Quick *now*."))
        wait_for(lambda: server.get("/posts/slow/").status_code == 200)
        assert server.get("/healthz").json()["skipped"] == []
        assert server.process.poll() is None
    finally:
        stop(server)
    log = server.log.read_text()
    assert "Traceback" not in log
    assert "from 1 posts (1 skipped)" in log  # slow.md, which the store read well
