"""The framework's own ceiling: a bare Starlette app that answers from a dict.

`python bench/bare_app.py --data FILE --port P` serves the responses recorded
in FILE (by serve_bench.py, from a running syndicate) on uvicorn as
`uvicorn[standard]` runs it: httptools and uvloop, named explicitly, and no
access log. The app does none of syndicate's work: no lookup rules, no metrics,
no log. It understands just enough HTTP for the benchmark: gzip when
Accept-Encoding names it, 304 when If-None-Match is the ETag.

granian runs the same app: `granian --interface asgi --factory bare_app:from_environment`
with the recording's path in BARE_APP_DATA.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class Recorded:
    """One response body as syndicate sent it."""

    body: bytes
    etag: str
    media_type: str
    encoding: str  # "identity" or "gzip"

    def to_json(self) -> dict[str, str]:
        return {
            "body": base64.b64encode(self.body).decode(),
            "etag": self.etag,
            "media_type": self.media_type,
            "encoding": self.encoding,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Recorded:
        return cls(base64.b64decode(data["body"]), data["etag"], data["media_type"], data["encoding"])


Recording = dict[str, dict[str, Recorded]]  # path -> encoding -> response
DATA_ENV = "BARE_APP_DATA"  # where from_environment() finds the recording


def save(recording: Recording, path: Path) -> None:
    data = {url: {enc: r.to_json() for enc, r in variants.items()} for url, variants in recording.items()}
    path.write_text(json.dumps(data), encoding="utf-8")


def load(path: Path) -> Recording:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        url: {enc: Recorded.from_json(r) for enc, r in variants.items()} for url, variants in data.items()
    }


def create_app(recording: Recording) -> Starlette:
    async def serve(request: Request) -> Response:
        variants = recording.get(request.url.path)
        if variants is None:
            return Response(b"not found", 404)
        wants_gzip = "gzip" in request.headers.get("accept-encoding", "")
        recorded = variants["gzip"] if wants_gzip and "gzip" in variants else variants["identity"]
        headers = {"ETag": recorded.etag, "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == recorded.etag:
            return Response(status_code=304, headers=headers)
        if recorded.encoding != "identity":
            headers["Content-Encoding"] = recorded.encoding
        return Response(recorded.body, headers=headers, media_type=recorded.media_type)

    return Starlette(routes=[Route("/{path:path}", serve, methods=["GET", "HEAD"])])


def from_environment() -> Starlette:
    """The app on the recording named by BARE_APP_DATA: the factory granian is given."""
    return create_app(load(Path(os.environ[DATA_ENV])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="responses recorded by serve_bench.py")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    import uvicorn  # only here: granian's venv has no uvicorn

    app = create_app(load(args.data))
    # uvicorn[standard]'s fast stack, named so that a missing piece fails instead of falling back.
    # No access log (syndicate writes its own, in batches), no proxy-header middleware and no
    # Server header: the least work uvicorn can do.
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            http="httptools",
            loop="uvloop",
            proxy_headers=False,
            server_header=False,
            log_config=None,
            access_log=False,
        )
    )
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
