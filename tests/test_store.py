"""The post store: front matter, fields, bad posts reported one by one, order."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import make_config, write

import syndicate.source.store as store_module
from syndicate.source.frontmatter import body_of, parse_post
from syndicate.source.store import PostChanged, PostStore, StoreError, StoreResult, read_body

GOOD = "---\ntitle: Good post\ndate: 2026-01-11\ncategory: Notes\n---\nHello.\n"
SHANGHAI = timezone(timedelta(hours=8))


def load(store: Path, **site: str) -> StoreResult:
    return PostStore(make_config(store, **site)).load()


def messages(result: StoreResult) -> list[str]:
    return [str(problem) for problem in result.problems]


def test_yaml_front_matter_fields(store: Path) -> None:
    write(
        store,
        "2026-01-11-dilated-conv.md",
        "---\n"
        "title: 空洞卷积 Dilated Convolution\n"
        "date: 2026-01-11 09:30:00\n"
        "updated: 2026-01-12T10:00:00+00:00\n"
        "category: Deep Learning\n"
        "tags: [cnn, 论文笔记]\n"
        "author: Maya\n"
        "summary: A short summary.\n"
        "lang: zh-CN\n"
        "---\n"
        "Body text.\n",
    )
    result = load(store)
    assert result.problems == ()
    (post,) = result.posts
    assert post.title == "空洞卷积 Dilated Convolution"
    assert post.slug == "dilated-conv"
    assert post.id == "2026-01-11-dilated-conv"
    assert post.date == datetime(2026, 1, 11, 9, 30, tzinfo=SHANGHAI)
    assert post.date.utcoffset() == timedelta(hours=8)
    assert post.updated == datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
    assert post.category == "Deep Learning"
    assert post.tags == ("cnn", "论文笔记")
    assert (post.author, post.summary, post.lang, post.draft) == ("Maya", "A short summary.", "zh-CN", False)
    assert read_body(store, post) == "Body text.\n"


def test_toml_front_matter_and_defaults(store: Path) -> None:
    write(store, "sub/dir/post.md", '+++\ntitle = "TOML post"\ndate = 2026-02-01T08:00:00+08:00\n+++\nBody\n')
    (post,) = load(store, author="Site Author", language="en").posts
    assert post.title == "TOML post"
    assert post.date == datetime(2026, 2, 1, 8, 0, tzinfo=SHANGHAI)
    assert (post.id, post.slug, post.author, post.lang) == ("sub/dir/post", "post", "Site Author", "en")
    assert (post.category, post.tags, post.summary, post.updated) == (None, (), None, None)


def test_bom_and_crlf(store: Path) -> None:
    write(store, "a.md", "\ufeff---\r\ntitle: BOM\r\ndate: 2026-01-01\r\n---\r\nLine one\r\nLine two\r\n")
    (post,) = load(store).posts
    assert post.title == "BOM"
    assert read_body(store, post) == "Line one\nLine two\n"


def test_title_from_first_heading(store: Path) -> None:
    write(store, "a.md", "---\ndate: 2026-01-01\n---\n\n# The Heading Title\n\nText.\n")
    (post,) = load(store).posts
    assert post.title == "The Heading Title"
    assert read_body(store, post) == "Text.\n"  # not shown twice


def test_explicit_id_and_slug(store: Path) -> None:
    write(store, "a.md", "---\ntitle: A\ndate: 2026-01-01\nid: legacy-42\nslug: custom-slug\n---\n")
    (post,) = load(store).posts
    assert (post.id, post.slug) == ("legacy-42", "custom-slug")


def test_identity_survives_edits_and_shared_openings(store: Path) -> None:
    intro = "A shared series introduction that both parts begin with.\n"
    write(store, "part-1.md", "---\ntitle: Part 1\ndate: 2026-01-01\n---\n" + intro + "One.\n")
    write(store, "part-2.md", "---\ntitle: Part 2\ndate: 2026-01-01\n---\n" + intro + "Two.\n")
    before = {post.source: post.id for post in load(store).posts}
    assert len(set(before.values())) == 2
    write(store, "part-1.md", "---\ntitle: Part 1, edited\ndate: 2026-01-01\n---\nRewritten.\n")
    after = {post.source: post.id for post in load(store).posts}
    assert after == before


def test_unknown_field_is_kept_and_warned(store: Path) -> None:
    write(store, "a.md", "---\ntitle: A\ndate: 2026-01-01\ntagz: [x]\n---\n")
    result = load(store)
    (post,) = result.posts
    assert post.extra == {"tagz": ["x"]}
    assert messages(result) == ["a.md:4: warning: unknown field 'tagz' (kept; a typo?)"]


def test_a_name_of_punctuation_only_is_warned_of_as_in_no_listing(store: Path) -> None:
    write(store, "a.md", "---\ntitle: A\ndate: 2026-01-01\ncategory: '!!!'\ntags: [ok, '?', '—']\n---\n")
    result = load(store)
    (post,) = result.posts  # published all the same
    assert post.tags == ("ok", "?", "—")
    why = "has no letter or digit to make its listing's URL: the post is in no listing of it"
    assert messages(result) == [
        f"a.md:4: warning: the category '!!!' {why}",
        f"a.md:5: warning: the tag '?' {why}",
        f"a.md:5: warning: the tag '—' {why}",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ntitle: [unclosed\ndate: 2026-01-01\n---\n", "bad.md:3: error: bad YAML front matter"),
        ("---\ntitle: x\n", "bad.md:1: error: front matter opened with '---' is never closed"),
        ('+++\ntitle = "x\n+++\n', "bad.md:2: error: bad TOML front matter"),
        ("---\ntitle: A\ndate: 2026-02-30\n---\n", "bad.md:3: error: 'date' is not a valid date"),
        ("---\ntitle: A\ndate: yesterday\n---\n", "bad.md:3: error: 'date' is not a valid date"),
        ("---\ntitle: A\n---\n", "bad.md:1: error: missing 'date'"),
        ("---\ntitle: {a: 1}\ndate: 2026-01-01\n---\n", "bad.md:2: error: 'title' must be text"),
        ("---\ntitle: A\ndate: 2026-01-01\ntags: {a: 1}\n---\n", "bad.md:4: error: 'tags' must be a list"),
        (
            "---\ntitle: A\ndate: 2026-01-01\ndraft: maybe\n---\n",
            "bad.md:4: error: 'draft' must be true or false",
        ),
        ("---\ndate: 2026-01-01\n---\nno heading\n", "bad.md:1: error: no title"),
        ("---\n- a list\n---\n", "bad.md:2: error: front matter must be a mapping"),
        (
            "---\ntitle: A\ndate: 2026-01-01\nupdated: 2025-01-01\n---\n",
            "bad.md:4: error: 'updated' is earlier than 'date'",
        ),
        (
            "---\ntitle: !!python/object/apply:os.system ['echo hi']\ndate: 2026-01-01\n---\n",
            "bad.md:2: error: bad YAML front matter: YAML tags that build objects are refused",
        ),
    ],
)
def test_bad_post_is_reported_and_others_load(store: Path, text: str, expected: str) -> None:
    write(store, "good.md", GOOD)
    write(store, "bad.md", text)
    result = load(store)
    assert [post.source for post in result.posts] == ["good.md"]
    errors = [m for m in messages(result) if ": error: " in m]
    assert len(errors) == 1
    assert errors[0].startswith(expected), errors[0]
    assert "\n" not in errors[0]


def test_not_utf8_is_reported_with_its_line(store: Path) -> None:
    write(store, "good.md", GOOD)
    write(store, "latin1.md", "---\ntitle: A\ndate: 2026-01-01\n---\ncaf\xe9\n".encode("latin-1"))
    result = load(store)
    assert [post.source for post in result.posts] == ["good.md"]
    assert messages(result) == ["latin1.md:5: error: not valid UTF-8 (save the file as UTF-8)"]


def test_two_posts_with_one_slug(store: Path) -> None:
    write(store, "2026-01-01-same.md", GOOD)
    write(store, "other/same.md", GOOD)
    result = load(store)
    assert [post.source for post in result.posts] == ["2026-01-01-same.md"]
    assert messages(result) == [
        "other/same.md:1: error: slug 'same' is already used by 2026-01-01-same.md; skipped"
    ]


def test_slugs_apart_only_in_case_are_one_slug(store: Path) -> None:
    # `build --out` on macOS or Windows would write both into one folder.
    write(store, "a.md", GOOD.replace("---\n", "---\nslug: Hello\n", 1))
    write(store, "b.md", GOOD.replace("---\n", "---\nslug: hello\n", 1))
    write(store, "c.md", GOOD.replace("---\n", "---\nslug: Straße\n", 1))
    write(store, "d.md", GOOD.replace("---\n", "---\nslug: STRASSE\n", 1))
    result = load(store)
    assert [post.source for post in result.posts] == ["a.md", "c.md"]
    assert messages(result) == [
        "b.md:1: error: slug 'hello' is already used by a.md as 'Hello' (one folder where case is"
        " ignored); skipped",
        "d.md:1: error: slug 'STRASSE' is already used by c.md as 'Straße' (one folder where case is"
        " ignored); skipped",
    ]


def test_unreadable_file(store: Path) -> None:
    write(store, "good.md", GOOD)
    write(store, "secret.md", GOOD.replace("Good", "Secret")).chmod(0)
    assert load_without_privileges(store) == [
        "good.md",
        "secret.md:1: error: cannot read file: Permission denied",
    ]


def load_without_privileges(store: Path) -> list[str]:
    """The sources of the posts the store loads, then its problems, loaded in a child
    process; for root, whom file modes do not stop, one without the capabilities that
    override them (setpriv, from util-linux)."""
    script = (
        "import sys; from conftest import make_config; from syndicate.source.store import PostStore\n"
        "result = PostStore(make_config(__import__('pathlib').Path(sys.argv[1]))).load()\n"
        "print('\\n'.join([p.source for p in result.posts] + [str(p) for p in result.problems]))\n"
    )
    command = [sys.executable, "-c", script, str(store)]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    tests = Path(__file__).resolve().parent
    done = subprocess.run(command, capture_output=True, text=True, cwd=tests, timeout=60, check=True)
    return done.stdout.splitlines()


def test_unreadable_file_as_root(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores file modes, so an unreadable file is made by failing the read itself."""
    write(store, "good.md", GOOD)
    write(store, "broken.md", GOOD.replace("Good", "Broken"))
    real_read = store_module.read_regular

    def read_regular(path: str | Path, limit: int, setting: str) -> bytes:
        if Path(path).name == "broken.md":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path, limit, setting)

    monkeypatch.setattr(store_module, "read_regular", read_regular)
    result = load(store)
    assert [post.source for post in result.posts] == ["good.md"]
    assert messages(result) == ["broken.md:1: error: cannot read file: Permission denied"]


def test_symlink_outside_store_is_not_read(store: Path, tmp_path: Path) -> None:
    outside = write(tmp_path, "outside.md", GOOD.replace("Good", "Outside"))
    write(store, "good.md", GOOD)
    (store / "link.md").symlink_to(outside)
    result = load(store)
    assert [post.title for post in result.posts] == ["Good post"]
    assert messages(result) == ["link.md:1: error: symlink points outside the store; not read"]


def test_missing_store_is_an_error_not_empty(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="store folder does not exist"):
        load(tmp_path / "nowhere")


def test_drafts_and_future_posts_load_unpublished(store: Path) -> None:
    write(store, "draft.md", "---\ntitle: D\ndate: 2026-01-01\ndraft: true\n---\n")
    write(store, "future.md", "---\ntitle: F\ndate: 2099-01-01\n---\n")
    posts = {post.source: post for post in load(store).posts}
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert not posts["draft.md"].is_published(now)
    assert not posts["future.md"].is_published(now)
    assert posts["future.md"].is_published(datetime(2099, 1, 1, tzinfo=UTC))


def _write_many(folder: Path, names: list[str]) -> None:
    for name in names:
        day = "2026-01-11" if name < "m" else "2026-01-1" + str(len(name) % 10)
        write(folder, name, f"---\ntitle: {name}\ndate: {day}\n---\n")


def test_order_is_newest_first_and_independent_of_creation_order(tmp_path: Path) -> None:
    names = [f"{letter}{i}.md" for letter in "abmnxz" for i in range(4)]
    first, second = tmp_path / "one", tmp_path / "two"
    _write_many(first, names)
    _write_many(second, list(reversed(names)))
    order_one = [post.source for post in load(first).posts]
    order_two = [post.source for post in load(second).posts]
    assert order_one == order_two
    dates = [post.date for post in load(first).posts]
    assert dates == sorted(dates, reverse=True)


def test_unchanged_files_are_not_read_again(store: Path) -> None:
    write(store, "a.md", GOOD)
    write(store, "b.md", GOOD.replace("Good post", "B"))
    posts = PostStore(make_config(store))
    posts.load()
    assert posts.files_read == 2
    posts.load()
    assert posts.files_read == 0
    path = write(store, "b.md", GOOD.replace("Good post", "B, edited"))
    os.utime(path, ns=(1, 1))
    result = posts.load()
    assert posts.files_read == 1
    assert "B, edited" in [post.title for post in result.posts]


def test_images_are_assets(store: Path) -> None:
    write(store, "images/dot.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    write(store, "notes.txt", "ignored")
    (asset,) = load(store).assets
    assert (asset.path, asset.media_type) == ("/images/dot.svg", "image/svg+xml")


def test_the_store_keeps_no_bodies_and_reads_a_body_again_only_if_unchanged(store: Path) -> None:
    write(store, "a.md", GOOD)
    (post,) = load(store).posts
    assert post.body is None  # a large store's text stays in its files
    assert read_body(store, post) == "Hello.\n"
    write(store, "a.md", GOOD.replace("Hello.", "Changed."))
    with pytest.raises(PostChanged, match=r"^a\.md: changed while the site was being built$"):
        read_body(store, post)
    (store / "a.md").unlink()
    with pytest.raises(PostChanged, match=r"^a\.md: cannot be read again: "):
        read_body(store, post)


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: Given\ndate: 2026-01-02\n---\n# Heading kept\n\nBody.\n",
        "---\ndate: 2026-01-02\n---\n\n# Heading is the title\n\nBody.\n",
        "---\ndate: 2026-01-02\n---\nText first.\n\n# Heading is the title, kept\n",
        "+++\ndate = 2026-01-02\n+++\n# TOML, heading is the title\nBody.\n",
        '+++\ntitle = "Given"\ndate = 2026-01-02\n+++\n# TOML, heading kept\nBody.\n',
        "---\ntitle: Given\ndate: 2026-01-02\n---\n#not-a-heading\n",
    ],
)
def test_a_body_read_again_is_the_body_the_post_was_parsed_with(text: str) -> None:
    data = text.encode()
    post, problems = parse_post("a.md", data, author="", language="en", timezone=UTC)
    assert post is not None and post.body is not None, problems
    assert body_of(data) == post.body


@pytest.mark.parametrize(
    "edit",
    [
        "---\ntitle: New title\ndate: 2026-01-02\n---\nNew body.\n",  # in place: only the post
        "---\ntitle: Moved\ndate: 2025-01-01\n---\nNow the oldest.\n",  # a new date: a new order
        "---\ntitle: Renamed\ndate: 2026-01-02\nslug: b\n---\nTakes another's slug.\n",
        "---\ntitle: Broken\ndate: someday\n---\n",  # now skipped
        "---\ntitle: Odd\ndate: 2026-01-02\ncolour: red\n---\nA new warning.\n",
    ],
)
def test_a_reload_after_an_edit_equals_a_fresh_load(store: Path, edit: str) -> None:
    for day, name in enumerate("abc", 1):
        write(store, f"{name}.md", f"---\ntitle: {name}\ndate: 2026-01-0{day}\n---\nText {name}.\n")
    posts = PostStore(make_config(store))
    posts.load()
    write(store, "b.md", edit)
    again, fresh = posts.load(), load(store)
    assert [(p.source, p.digest, p.slug) for p in again.posts] == [
        (p.source, p.digest, p.slug) for p in fresh.posts
    ]
    assert again.problems == fresh.problems
