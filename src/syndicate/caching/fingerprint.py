"""What every cache on disk is keyed by besides its own inputs: the code that made the value.

A hash of syndicate's own files (its modules, templates and stylesheet) and of the
versions of the libraries that render posts and write outputs. Any change to any of
them, an upgrade that forgot to say so included, makes every cached value a miss.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache
from importlib import metadata, resources
from importlib.resources.abc import Traversable

LIBRARIES = ("feedgen", "jinja2", "latex2mathml", "lxml", "markdown", "nh3", "pymdown-extensions", "regex")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for name, item in _package_files(resources.files("syndicate")):
        digest.update(name.encode() + b"\0" + item.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}={metadata.version(name)}".encode())
    return digest.hexdigest()


def _package_files(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    """Every file of the package, its subpackages' and data folders' too, by path, in a
    fixed order."""
    for item in sorted(folder.iterdir(), key=lambda item: item.name):
        if item.is_dir():
            if item.name != "__pycache__":
                yield from _package_files(item, f"{prefix}{item.name}/")
        elif not item.name.endswith(".pyc"):
            yield prefix + item.name, item
