"""Checks every feed test shares: RFC 4287's schema and rules through jing, a strict
XML parse, and feedparser's opinion.

jing is a Debian package (`make system-deps`); the schemas are in tests/schemas/. Where
jing is missing, a test that needs it is skipped, except on CI (CI=true), where that fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import pytest
from lxml import etree

SCHEMAS = Path(__file__).resolve().parent / "schemas"
ATOM_RNC = SCHEMAS / "atom.rnc"  # RFC 4287's RELAX NG schema, compact syntax (with three fixes)
ATOM_SCH = SCHEMAS / "atom.sch"  # RFC 4287's Schematron rules


def find_jing() -> str:
    """The path of jing; skips the calling test when jing is missing (fails it on CI)."""
    path = shutil.which("jing")
    if path is None:
        reason = "jing not installed (make system-deps)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def run_jing(jing: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    # Errors go to stdout; stderr holds the Debian wrapper's classpath warnings.
    return subprocess.run([jing, *map(str, args)], capture_output=True, text=True, timeout=120, check=False)


def jing_validate(paths: Sequence[Path]) -> None:
    """Validate Atom documents against atom.rnc and atom.sch: all files in one jing run per
    schema, the two runs side by side. Raises AssertionError with jing's report on any failure."""
    if not paths:
        raise ValueError("no files to validate")
    jing = find_jing()
    runs = {
        schema: subprocess.Popen(
            [jing, *map(str, options), str(schema), *map(str, paths)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for schema, options in ((ATOM_RNC, ["-c"]), (ATOM_SCH, []))
    }
    failures = []
    for schema, process in runs.items():
        stdout, stderr = process.communicate(timeout=120)
        if process.returncode != 0:
            # stderr also holds the Debian wrapper's classpath warnings: leave those out.
            errors = [line for line in stderr.splitlines() if line and not line.startswith("[warning]")]
            report = "\n".join([stdout.rstrip(), *errors]).strip()
            failures.append(f"jing {schema.name} rejected the feeds:\n{report}")
    if failures:
        raise AssertionError("\n".join(failures))


def strict_parse(data: bytes) -> etree._Element:
    """Parse as XML with no recovery: any well-formedness error raises."""
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


def feedparser_ok(data: bytes) -> Any:
    """feedparser's result, asserting it found nothing wrong (bozo == 0)."""
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed
