"""syndicate against Pelican: `python bench/pelican_bench.py [--sizes 1000]`.

Both build the same generated posts from nothing to files on disk, each as a
new process, timed from spawn to exit:
- syndicate: `syndicate build --config DIR/syndicate.toml --out OUT`;
- Pelican: `pelican content -s pelicanconf.py -o OUT` on a copy of the store
  with Pelican's own metadata lines (Title:, Date:, ...), configured with the
  same Markdown extensions, 12 posts a page, and Atom and RSS feeds of 20
  full entries for the site, each category, each tag and each author.
Pelican lives in bench/.venv-pelican, made on first use from requirements-pelican.txt.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import gen_store
import yaml
from harness import BENCH_DIR, PYTHON, Sample, cache_env, format_seconds, parse_sizes, text_table

from syndicate.render import MARKDOWN_EXTENSION_CONFIGS, MARKDOWN_EXTENSIONS

VENV = BENCH_DIR / ".venv-pelican"
REQUIREMENTS = BENCH_DIR / "requirements-pelican.txt"
STAMP = VENV / ".installed"


@dataclass
class PelicanResult:
    posts: int
    syndicate: Sample = field(default_factory=Sample)  # wall seconds of `syndicate build --out`
    pelican: Sample = field(default_factory=Sample)  # wall seconds of `pelican`
    syndicate_cpu: float = 0.0  # user + system seconds of the last run, children included
    pelican_cpu: float = 0.0
    pelican_pages: int = 0  # post pages Pelican wrote, to show it built every post

    @property
    def ratio(self) -> float:
        """syndicate's first build over Pelican's (medians): the target is at most 0.5."""
        return self.syndicate.median / self.pelican.median


def ensure_pelican() -> Path:
    """The pelican program in bench/.venv-pelican, installing the pinned versions if needed."""
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    pelican = VENV / "bin" / "pelican"
    if pelican.exists() and STAMP.exists() and STAMP.read_text(encoding="utf-8") == wanted:
        return pelican
    _progress(f"pelican: installing into {VENV}")
    if not (VENV / "bin" / "python").exists():
        subprocess.run([PYTHON, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    STAMP.write_text(wanted, encoding="utf-8")
    return pelican


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


# Measuring


def _timed_process(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a command run to completion; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run_size(posts: int, site: Path, work: Path, repeats: int = 1, seed: int = 1) -> PelicanResult:
    pelican = ensure_pelican()
    result = PelicanResult(posts)
    if not (site / gen_store.CONFIG_NAME).exists():
        _progress(f"pelican {posts:,}: generating the site")
        gen_store.generate(posts, site, seed)
    copy = work / f"pelican-{posts}"
    shutil.rmtree(copy, ignore_errors=True)
    convert(site / gen_store.STORE_NAME, copy / "content")
    (copy / "pelicanconf.py").write_text(PELICAN_CONFIG + _markdown_setting(), encoding="utf-8")
    config = site / gen_store.CONFIG_NAME
    for number in range(repeats):
        _progress(f"pelican {posts:,}: run {number + 1} of {repeats}: pelican, then syndicate build --out")
        out = copy / "output"
        shutil.rmtree(out, ignore_errors=True)
        wall, result.pelican_cpu = _timed_process(
            [str(pelican), "content", "-s", "pelicanconf.py", "-o", str(out), "-q"], cwd=copy
        )
        result.pelican.values.append(wall)
        result.pelican_pages = sum(1 for _ in (out / "posts").glob("*/index.html"))

        ours = work / f"syndicate-{posts}"
        for stale in (ours, ours.with_name(ours.name + ".builds")):
            if stale.is_symlink():
                stale.unlink()
            shutil.rmtree(stale, ignore_errors=True)
        cache = work / f"syndicate-cache-{posts}"
        shutil.rmtree(cache, ignore_errors=True)  # a first build: an empty cache, if syndicate has one
        env = {**os.environ, **cache_env(cache)}
        command = [PYTHON, "-m", "syndicate.cli", "build", "--config", str(config), "--out", str(ours)]
        wall, result.syndicate_cpu = _timed_process(command, env=env)
        result.syndicate.values.append(wall)
    return result


def run(sizes: list[int], repeats: int = 1, work: Path | None = None, seed: int = 1) -> list[PelicanResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="syndicate-pelican-") as scratch:
        root = work or Path(scratch)
        for posts in sizes:
            results.append(run_size(posts, root / f"site-{posts}", root, repeats, seed))
    return results


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def table(results: list[PelicanResult]) -> str:
    return text_table(*table_data(results))


def table_data(results: list[PelicanResult]) -> tuple[list[str], list[list[str]]]:
    headers = ["posts", "syndicate build --out", "pelican", "syndicate/pelican", "CPU s (syndicate, pelican)"]
    rows = [
        [
            f"{r.posts:,}",
            format_seconds(r.syndicate.median),
            format_seconds(r.pelican.median),
            f"{r.ratio:.2f}",
            f"{r.syndicate_cpu:.1f}, {r.pelican_cpu:.1f}",
        ]
        for r in results
    ]
    return headers, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=parse_sizes, default=[1000], help="e.g. 1000,10000 (default 1000)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each (default 1)")
    parser.add_argument("--work", type=Path, help="keep sites and outputs here (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(table(run(args.sizes, args.repeats, args.work, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
