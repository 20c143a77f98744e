"""What every cache on disk is keyed by besides its own inputs: the code that made the value.

A hash of syndicate's own files (its modules, templates and stylesheet) and of the
versions of the libraries that render posts and write outputs. Any change to any of
them, an upgrade that forgot to say so included, makes every cached value a miss.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata, resources

LIBRARIES = ("feedgen", "jinja2", "lxml", "markdown", "nh3", "pymdown-extensions", "regex")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    digest = hashlib.sha256()
    package = resources.files("syndicate")
    for folder in (package, package / "templates", package / "static"):
        for item in sorted(folder.iterdir(), key=lambda item: item.name):
            if item.is_file() and not item.name.endswith(".pyc"):
                digest.update(item.name.encode() + b"\0" + item.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}={metadata.version(name)}".encode())
    return digest.hexdigest()
