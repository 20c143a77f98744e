"""The container's files, checked without a container engine (make container-test runs it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run([HADOLINT, str(REPO / "Dockerfile")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_runs_as_a_fixed_non_root_user_with_a_healthcheck() -> None:
    lines = [line.strip() for line in (REPO / "Dockerfile").read_text().splitlines()]
    assert lines.count("FROM debian:bookworm-slim AS builder") == 1
    assert "FROM debian:bookworm-slim" in lines
    assert "USER 10001:10001" in lines
    assert "EXPOSE 8000" in lines
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert 'ENTRYPOINT ["syndicate"]' in lines


def test_dockerignore_keeps_the_work_tree_out() -> None:
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    # Everything out first, then only what the image needs back in.
    assert ignored.index("*") < ignored.index("!src/") < len(ignored)
    assert not any(line.startswith("!.venv") or line.startswith("!.git") for line in ignored)
