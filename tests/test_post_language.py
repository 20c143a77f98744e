"""A post's language is its own: its excerpt's placeholders, its Atom entry's xml:lang and
its JSON Feed item's language follow its `lang`, not the site's."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from conftest import make_config, write
from feedcheck import feedparser_ok, jing_validate, strict_parse
from feedrules import findings

from syndicate.build.builder import Build, Builder
from syndicate.config import Config, ConfigError, Placeholders, load_config
from syndicate.source.store import PostStore

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BODY = "{text}\n\n```python\nx = 1\n```\n\n$$x$$\n"
POSTS = {
    "english.md": ("English post", "en", "Some text."),
    "chinese.md": ("中文文章", None, "一些文字。"),  # the site's language
    "taiwan.md": ("繁體文章", "zh_TW", "一些文字。"),  # a locale's name, not BCP 47's
}
# What each post's excerpt is on a zh-CN site with the default placeholders.
EXCERPTS = {
    "English post": "Some text. [code] [formula]",
    "中文文章": "一些文字。 [代码] [公式]",
    "繁體文章": "一些文字。 [代码] [公式]",
}


def fill(store: Path) -> None:
    for day, (name, (title, lang, text)) in enumerate(POSTS.items(), 1):
        lang_line = f"lang: {lang}\n" if lang else ""
        date = f"2026-01-{day:02d}"
        write(store, name, f"---\ntitle: {title}\ndate: {date}\n{lang_line}---\n{BODY.format(text=text)}")


def zh_site(store: Path, **excerpt: object) -> Config:
    config = make_config(store, language="zh-CN")
    return dataclasses.replace(config, excerpt=dataclasses.replace(config.excerpt, **excerpt))


def build(config: Config, cache: Path) -> tuple[Build, Builder]:
    builder = Builder(config, cache)
    return builder.build(PostStore(config).load(), NOW), builder


def body(build: Build, path: str) -> bytes:
    return build.resources[path].body


def atom_entries(build: Build) -> dict[str, tuple[str | None, str]]:
    """By title: each Atom entry's xml:lang and summary."""
    root = strict_parse(body(build, "/atom.xml"))
    return {
        entry.findtext(ATOM + "title") or "": (entry.get(XML_LANG), entry.findtext(ATOM + "summary") or "")
        for entry in root.iter(ATOM + "entry")
    }


def listing_excerpts(build: Build) -> dict[str, str]:
    page = lxml.html.fromstring(body(build, "/"))
    return {
        article.findtext("h2/a") or "": article.find_class("excerpt")[0].text_content()
        for article in page.find_class("entry")
    }


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    fill(folder)
    return folder


def test_each_post_gets_the_placeholders_of_its_language(store: Path, tmp_path: Path) -> None:
    built, _ = build(zh_site(store), tmp_path / "cache")
    assert listing_excerpts(built) == EXCERPTS
    assert {title: summary for title, (_, summary) in atom_entries(built).items()} == EXCERPTS
    items = json.loads(body(built, "/feed.json"))["items"]
    assert {item["title"]: item["summary"] for item in items} == EXCERPTS


def test_feeds_carry_each_post_s_language(store: Path, tmp_path: Path) -> None:
    built, _ = build(zh_site(store), tmp_path / "cache")
    atom = body(built, "/atom.xml")
    assert strict_parse(atom).get(XML_LANG) == "zh-CN"
    # The site's language is inherited from the feed; the others are written.
    # Tags ignore case: the store may give them in another.
    languages = {title: lang and lang.lower() for title, (lang, _) in atom_entries(built).items()}
    assert languages == {"English post": "en", "中文文章": None, "繁體文章": "zh-tw"}
    parsed = feedparser_ok(atom)
    assert {entry.title: entry.title_detail.language.lower() for entry in parsed.entries} == {
        "English post": "en",
        "中文文章": "zh-cn",  # the feed's, inherited
        "繁體文章": "zh-tw",
    }
    assert findings(atom) == []
    (tmp_path / "atom.xml").write_bytes(atom)
    jing_validate([tmp_path / "atom.xml"])

    feed = json.loads(body(built, "/feed.json"))
    assert feed["language"] == "zh-CN"
    assert {item["title"]: item["language"].lower() for item in feed["items"]} == {
        "English post": "en",
        "中文文章": "zh-cn",
        "繁體文章": "zh-tw",
    }


def test_rss_items_have_no_language_of_their_own(store: Path, tmp_path: Path) -> None:
    built, _ = build(zh_site(store), tmp_path / "cache")
    rss = body(built, "/rss.xml")
    channel = strict_parse(rss).find("channel")
    assert channel is not None
    assert channel.findtext("language") == "zh-CN"
    for item in channel.iter("item"):
        assert item.get(XML_LANG) is None
        assert item.find("language") is None
    assert feedparser_ok(rss).version == "rss20"
    assert findings(rss) == []


def test_a_page_has_its_post_s_language(store: Path, tmp_path: Path) -> None:
    built, _ = build(zh_site(store), tmp_path / "cache")
    assert lxml.html.fromstring(body(built, "/posts/english/")).get("lang") == "en"
    assert lxml.html.fromstring(body(built, "/posts/chinese/")).get("lang") == "zh-CN"


def test_configured_placeholders_override_the_defaults(store: Path, tmp_path: Path) -> None:
    table = (("en", Placeholders(code="<code>")), ("zh-tw", Placeholders("[程式碼]", "[公式 TW]")))
    built, _ = build(zh_site(store, placeholders=table, math_placeholder="〔式〕"), tmp_path / "cache")
    assert listing_excerpts(built) == {
        "English post": "Some text. <code> [formula]",  # the formula from the defaults
        "中文文章": "一些文字。 [代码] 〔式〕",  # the site's own setting first
        "繁體文章": "一些文字。 [程式碼] 〔式〕",  # zh_TW is zh-TW, and Chinese like the site
    }


def test_an_unchanged_post_is_not_rendered_again(store: Path, tmp_path: Path) -> None:
    config = zh_site(store)
    posts = PostStore(config)
    builder = Builder(config, tmp_path / "cache")
    builder.build(posts.load(), NOW)
    assert builder.renderer.rendered == 3
    write(store, "english.md", (store / "english.md").read_text(encoding="utf-8") + "\nMore.\n")
    edited = builder.build(posts.load(), NOW)
    assert builder.renderer.rendered == 1  # the edited post only
    again, restarted = build(config, tmp_path / "cache")
    assert restarted.renderer.rendered == 0
    assert body(again, "/atom.xml") == body(edited, "/atom.xml")
    # Only the posts whose placeholders changed are rendered again.
    english = zh_site(store, placeholders=(("en", Placeholders("[snippet]", "[maths]")),))
    changed, rebuilt = build(english, tmp_path / "cache")
    assert rebuilt.renderer.rendered == 1
    assert listing_excerpts(changed)["English post"] == "Some text. [snippet] [maths] More."


def test_a_lang_that_is_no_language_tag_gets_english_and_no_feed_language(tmp_path: Path) -> None:
    store = tmp_path / "content"
    write(store, "odd.md", f"---\ntitle: Odd\ndate: 2026-01-02\nlang: zh CN\n---\n{BODY.format(text='A.')}")
    built, _ = build(zh_site(store), tmp_path / "cache")
    assert listing_excerpts(built) == {"Odd": "A. [code] [formula]"}
    assert atom_entries(built)["Odd"][0] is None
    assert "language" not in json.loads(body(built, "/feed.json"))["items"][0]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ("[code]", "[formula]")),
        ("EN-gb", ("[code]", "[formula]")),
        ("zh", ("[代码]", "[公式]")),
        ("zh-Hant-TW", ("[代码]", "[公式]")),
        ("zh_CN", ("[代码]", "[公式]")),
        ("fr", ("[code]", "[formula]")),  # no placeholders of its own: English's
        ("de-CH", ("[Code]", "[Formel]")),
    ],
)
def test_placeholders_by_language(language: str, expected: tuple[str, str]) -> None:
    config = dataclasses.replace(
        Config(),
        excerpt=dataclasses.replace(
            Config().excerpt, placeholders=(("de", Placeholders("[Code]", "[Formel]")),)
        ),
    )
    found = config.placeholders_for(language)
    assert (found.code, found.formula) == expected


def test_the_site_s_placeholders_are_for_its_language_only() -> None:
    config = load_config(
        None, {"SYNDICATE_SITE_LANGUAGE": "en-US", "SYNDICATE_EXCERPT_CODE_PLACEHOLDER": "[src]"}
    )
    assert config.placeholders_for("en") == Placeholders("[src]", "[formula]")
    assert config.placeholders_for("zh-CN") == Placeholders("[代码]", "[公式]")
    assert (config.code_placeholder, config.math_placeholder) == ("[src]", "[formula]")


def test_placeholders_from_the_file_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "syndicate.toml"
    path.write_text(
        '[excerpt.placeholders]\nfr = { code = "[code]", formula = "[formule]" }\n'
        'ZH_tw = { code = "[程式碼]" }\n',
        encoding="utf-8",
    )
    config = load_config(path, {})
    assert config.excerpt.placeholders == (
        ("fr", Placeholders("[code]", "[formule]")),
        ("zh-tw", Placeholders("[程式碼]", "")),
    )
    assert config.placeholders_for("zh-TW") == Placeholders("[程式碼]", "[公式]")
    env = {"SYNDICATE_EXCERPT_PLACEHOLDERS": '{ ja = { code = "[コード]", formula = "[数式]" } }'}
    assert load_config(path, env).excerpt.placeholders == (("ja", Placeholders("[コード]", "[数式]")),)


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        (
            '[excerpt]\nplaceholders = "[code]"\n',
            {},
            "excerpt.placeholders: expected a table of language tags",
        ),
        (
            '[excerpt.placeholders]\n"zh CN" = { code = "x" }\n',
            {},
            "excerpt.placeholders.zh CN: expected a language tag",
        ),
        (
            '[excerpt.placeholders]\nfr = "[code]"\n',
            {},
            "excerpt.placeholders.fr: expected a table of code and formula",
        ),
        ('[excerpt.placeholders]\nfr = { math = "x" }\n', {}, "excerpt.placeholders.fr.math: unknown key"),
        (
            "[excerpt.placeholders]\nfr = { code = 1 }\n",
            {},
            "excerpt.placeholders.fr.code: expected a string",
        ),
        (
            '[excerpt.placeholders]\nfr = {}\nFR = { code = "x" }\n',
            {},
            "excerpt.placeholders.FR: the same language",
        ),
        (
            "",
            {"SYNDICATE_EXCERPT_PLACEHOLDERS": "fr = 1"},
            "excerpt.placeholders: expected a TOML inline table",
        ),
    ],
)
def test_bad_placeholders_name_the_key(
    tmp_path: Path, text: str, environ: dict[str, str], message: str
) -> None:
    path = tmp_path / "syndicate.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
