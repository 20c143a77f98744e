from __future__ import annotations

import contextlib
import dataclasses
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syndicate.config import BuildConfig, Config, SiteConfig, StoreConfig

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO / "examples" / "site" / "syndicate.toml"


def make_config(store: Path, **site: Any) -> Config:
    """A configuration over `store`, with site settings overridden by keyword. Its cache
    folder is beside the store: the default, `.cache` in the working folder, would be
    shared by every test and every run."""
    defaults: dict[str, Any] = {"base_url": "https://blog.example/", "timezone": "Asia/Shanghai"}
    return Config(
        site=dataclasses.replace(SiteConfig(), **{**defaults, **site}),
        store=StoreConfig(path=store),
        build=BuildConfig(cache_dir=store.parent / ".cache"),
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    return folder


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def own_scripts_only(policy: str) -> bool:
    """Whether a Content-Security-Policy lets a page run only the site's own script files:
    `script-src 'self'` (and the site's origin), nothing inline, nothing evaluated."""
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    sources = directives.get("script-src", [])
    origins = all(source.startswith(("http://", "https://")) for source in sources[1:])
    own = sources[:1] == ["'self'"] and origins
    return "default-src" in directives and own and "unsafe" not in policy


@contextlib.contextmanager
def loopback_http(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` serving on a free port of 127.0.0.1, in a thread; its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
