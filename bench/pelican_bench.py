"""Pelican on a generated site, for peers_bench.py: `python bench/pelican_bench.py [--sizes 1000]`.

`prepare` copies the store with Pelican's own metadata lines (Title:, Date:,
...) and configures Pelican to do what syndicate does, as near as it can: the
same Markdown extensions, 12 posts a page, and Atom and RSS feeds of 20 full
entries for the site, each category, each tag and each author; the run is
`pelican content -s pelicanconf.py -o OUT`. Run alone, this script times
syndicate against Pelican only (peers_bench.py with those two tools).
Pelican lives in bench/.venv-pelican, made on first use from requirements-pelican.txt.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import gen_store
import yaml
from harness import BENCH_DIR, Tool, ensure_venv

from syndicate.render.renderer import MARKDOWN_EXTENSION_CONFIGS, MARKDOWN_EXTENSIONS

VENV = BENCH_DIR / ".venv-pelican"
REQUIREMENTS = BENCH_DIR / "requirements-pelican.txt"


# Converting a syndicate store to Pelican's metadata format


def _split(text: str) -> tuple[dict[str, Any], str]:
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    end = lines.index("---", 1)
    fields = yaml.safe_load("\n".join(lines[1:end])) or {}
    return fields, "\n".join(lines[end + 1 :])


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_pelican(text: str, slug: str) -> str:
    """One post in Pelican's Markdown metadata format."""
    fields, body = _split(text)
    header = [f"Title: {fields['title']}", f"Date: {_when(fields['date'])}", f"Slug: {slug}"]
    if "updated" in fields:
        header.append(f"Modified: {_when(fields['updated'])}")
    if fields.get("category"):
        header.append(f"Category: {fields['category']}")
    if fields.get("tags"):
        header.append("Tags: " + ", ".join(str(tag) for tag in fields["tags"]))
    if fields.get("summary"):
        header.append(f"Summary: {fields['summary']}")
    if fields.get("draft"):
        header.append("Status: draft")
    return "\n".join(header) + "\n\n" + body


def convert(store: Path, target: Path) -> int:
    """Copy `store` to `target` for Pelican: posts converted, images as they are."""
    count = 0
    for source in sorted(store.rglob("*")):
        if not source.is_file():
            continue
        destination = target / source.relative_to(store)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".md":
            slug = source.stem[11:] if source.stem[:4].isdigit() else source.stem
            destination.write_text(to_pelican(source.read_text(encoding="utf-8"), slug), encoding="utf-8")
            count += 1
        else:
            shutil.copyfile(source, destination)
    return count


PELICAN_CONFIG = """# Written by bench/pelican_bench.py: Pelican doing what syndicate does, as near as it can.
AUTHOR = "Bench Writer"
SITENAME = "Bench"
SITEURL = "http://127.0.0.1:8000"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
STATIC_PATHS = ["images"]
DEFAULT_PAGINATION = 12
PAGINATION_PATTERNS = [
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
]
ARTICLE_URL = "posts/{slug}/"
ARTICLE_SAVE_AS = "posts/{slug}/index.html"
CATEGORY_URL = "categories/{slug}/"
CATEGORY_SAVE_AS = "categories/{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
AUTHOR_URL = "authors/{slug}/"
AUTHOR_SAVE_AS = "authors/{slug}/index.html"
AUTHORS_SAVE_AS = ARCHIVES_SAVE_AS = CATEGORIES_SAVE_AS = TAGS_SAVE_AS = ""
FEED_ALL_ATOM = "atom.xml"
FEED_ALL_RSS = "rss.xml"
CATEGORY_FEED_ATOM = "categories/{slug}/atom.xml"
CATEGORY_FEED_RSS = "categories/{slug}/rss.xml"
TAG_FEED_ATOM = "tags/{slug}/atom.xml"
TAG_FEED_RSS = "tags/{slug}/rss.xml"
AUTHOR_FEED_ATOM = "authors/{slug}/atom.xml"
AUTHOR_FEED_RSS = "authors/{slug}/rss.xml"
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = 20
RSS_FEED_SUMMARY_ONLY = False
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""


def _markdown_setting() -> str:
    """syndicate's own Markdown set-up as Pelican's MARKDOWN setting, so both run the same
    Markdown code. The toc extension's slugify function is left to Pelican's default."""
    configs = {
        name: {key: value for key, value in config.items() if not callable(value)}
        for name, config in MARKDOWN_EXTENSION_CONFIGS.items()
    }
    setting = {"extensions": MARKDOWN_EXTENSIONS, "extension_configs": configs, "output_format": "html5"}
    return f"MARKDOWN = {setting!r}\n"


def prepare(site: Path, work: Path) -> Tool:
    """Pelican set up on a copy of `site`'s store, as a Tool whose reset makes the next run cold."""
    pelican = ensure_venv(VENV, REQUIREMENTS) / "bin" / "pelican"
    copy = work / "pelican"
    shutil.rmtree(copy, ignore_errors=True)
    convert(site / gen_store.STORE_NAME, copy / "content")
    (copy / "pelicanconf.py").write_text(PELICAN_CONFIG + _markdown_setting(), encoding="utf-8")
    out = copy / "output"
    return Tool(
        name="pelican",
        command=[str(pelican), "content", "-s", "pelicanconf.py", "-o", str(out), "-q"],
        out=out,
        cwd=copy,
        reset=lambda: shutil.rmtree(out, ignore_errors=True),
        version=_version(pelican),
    )


def _version(pelican: Path) -> str:
    done = subprocess.run([str(pelican), "--version"], capture_output=True, text=True, check=False)
    return f"Pelican {done.stdout.strip()}"


def main(argv: list[str] | None = None) -> int:
    """syndicate against Pelican alone: peers_bench.py with those two tools."""
    import peers_bench

    return peers_bench.main(["--tools", "syndicate,pelican", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
