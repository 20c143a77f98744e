"""Front matter and headings of long runs of spaces or escaped quotes, and many tags
(issue 14): read in time proportional to their size. Each once was scanned again from
each of its characters or tags: 20 KB took seconds, these would take hours."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import write

RUN = 500_000  # characters: seconds each, squared


def check(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "syndicate.toml"
    # Posts of 500 KB: feeds would carry them by their summary, and `check` say so for each.
    settings = '[store]\npath = "content"\n[build]\ncache_dir = "cache"\n[feed]\nfull_max_bytes = 1000000\n'
    config.write_text(settings, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "syndicate.cli", "check", "--config", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,  # the bound: minutes would be the old, quadratic, scans
        env={key: value for key, value in os.environ.items() if not key.startswith("SYNDICATE_")},
    )


def test_long_runs_in_front_matter_and_headings(tmp_path: Path) -> None:
    store = tmp_path / "content"
    spaces = " " * RUN
    write(
        store, "yaml.md", f"---\ntitle: Y\ndate: 2026-01-01\nsummary: |\n  a{spaces}b\nextra: 1\n---\nText.\n"
    )
    write(
        store,
        "toml.md",
        f'+++\ntitle = "T"\ndate = 2026-01-02\nsummary = """\na{spaces}b"""\nmore = 1\n+++\n',
    )
    write(store, "heading.md", f"---\ndate: 2026-01-03\n---\n# Heading{spaces}\n\nText.\n")
    write(store, "closed.md", f'+++\ntitle = "Q"\ndate = 2026-01-04\nsummary = "{chr(92) + chr(34)}" \n+++\n')
    escaped = (chr(92) + chr(34)) * (RUN // 2)  # \"\"\"...
    write(store, "quotes.md", f'+++\ntitle = "Q"\ndate = 2026-01-05\nsummary = "{escaped}"\n+++\n')
    write(store, "open.md", f'+++\ntitle = "Q"\ndate = 2026-01-06\nsummary = "{escaped}\n+++\n')
    many = ", ".join(f"t{number}" for number in range(150_000))
    write(store, "tags.md", f"---\ntitle: Tags\ndate: 2026-01-08\ntags: [{many}]\n---\n")
    write(store, "blank.md", "---\ndate: 2026-01-07\n---\n#   \n\nA heading of no text is no title.\n")

    done = check(tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "content/blank.md:1: error: no title: add a 'title' field or a '# Heading'"
    assert lines[1].startswith("content/open.md:4: error: bad TOML front matter: ")
    assert lines[2:] == [
        "content/tags.md:4: error: 150000 tags, more than a post may have (100)",
        "content/toml.md:6: warning: unknown field 'more' (kept; a typo?)",
        "content/yaml.md:6: warning: unknown field 'extra' (kept; a typo?)",
        "5 posts (5 published, 0 drafts, 0 scheduled), 3 skipped with errors, 2 warnings",
    ]
