"""Hugo on a generated site: `python bench/hugo_bench.py SITE WORK` sets it up and builds once.

bench/hugo/ holds a minimal Hugo site (hugo.toml and layouts, no theme) that
makes what syndicate makes: post pages; listings of 12 a page for the site,
each category and each tag; RSS, Atom and JSON Feed of the 20 newest for the
site, each category and each tag. `site_for` copies it beside a generated
site and appends the mounts that read that site's own store (bench/gen_store.py's
posts, front matter as they are), so Hugo and syndicate read the same files.
Hugo is Debian's package (`apt-get install hugo`), run as its users run it:
`hugo` into an empty folder, with an empty cache folder, on every core.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import gen_store
from harness import BENCH_DIR, Tool, files_under

TEMPLATE = BENCH_DIR / "hugo"
CONFIG = "hugo.toml"


def hugo_program() -> str:
    """The hugo program, or an error saying how to install it."""
    found = shutil.which("hugo")
    if found is None:
        raise RuntimeError("hugo is not installed (Debian package hugo: apt-get install hugo)")
    return found


def hugo_version() -> str:
    done = subprocess.run([hugo_program(), "version"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def mounts(store: Path) -> str:
    """The [module] mounts that make `store` Hugo's content/posts and its images static files."""
    return f"""
# Appended by bench/hugo_bench.py: the generated site's own store.
[[module.mounts]]
source = "{store}"
target = "content/posts"
excludeFiles = "images/**"

[[module.mounts]]
source = "{store / "images"}"
target = "static/images"

[[module.mounts]]
source = "layouts"
target = "layouts"
"""


def site_for(store: Path, folder: Path) -> Path:
    """A Hugo site in `folder` (made anew) reading the posts of `store`."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(TEMPLATE, folder)
    config = folder / CONFIG
    config.write_text(config.read_text(encoding="utf-8") + mounts(store.resolve()), encoding="utf-8")
    return folder


def build_command(site: Path, out: Path, cache: Path) -> list[str]:
    """`hugo` building `site` into `out`, its caches in `cache` (empty it for a cold build)."""
    return [
        hugo_program(),
        "--source",
        str(site),
        "--destination",
        str(out),
        "--cacheDir",
        str(cache),
        "--quiet",
    ]


def clean(site: Path, out: Path, cache: Path) -> None:
    """Everything a build leaves, so the next one starts cold."""
    for path in (out, cache, site / "resources"):
        shutil.rmtree(path, ignore_errors=True)
    (site / ".hugo_build.lock").unlink(missing_ok=True)
    cache.mkdir(parents=True)


def prepare(site: Path, work: Path) -> Tool:
    """Hugo set up on `site`'s store, as a Tool whose reset makes the next run cold."""
    folder = site_for(site / gen_store.STORE_NAME, work / "hugo-site")
    out, cache = work / "hugo-out", work / "hugo-cache"
    return Tool(
        name="hugo",
        command=build_command(folder, out, cache),
        out=out,
        reset=lambda: clean(folder, out, cache),
        version=hugo_version().split(" BuildDate")[0],
    )


def server_command(site: Path, port: int, cache: Path, *, fast_render: bool = True) -> list[str]:
    """`hugo server` as a writer runs it: rendering to memory, watching for changes."""
    command = [hugo_program(), "server", "--source", str(site), "--bind", "127.0.0.1"]
    command += ["--port", str(port), "--cacheDir", str(cache)]
    return command if fast_render else [*command, "--disableFastRender"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path, help="a site made by gen_store.py (its content/ is read)")
    parser.add_argument("work", type=Path, help="where the Hugo site, its output and its cache go")
    args = parser.parse_args(argv)
    tool = prepare(args.site, args.work)
    tool.reset()
    subprocess.run(tool.command, check=True)
    print(f"{tool.version}: wrote {files_under(tool.out)} files to {tool.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
