"""`syndicate serve`: the first Build, then uvicorn and the rebuild schedule."""

from __future__ import annotations

import logging
import sys
import time
from importlib.util import find_spec

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

from syndicate.config import Config
from syndicate.logs import AccessLog, configure_logging
from syndicate.serve.app import create_app
from syndicate.serve.connections import Connections, budget, guarded
from syndicate.serve.site import Site

log = logging.getLogger("syndicate")


def serve(
    config: Config, host: str | None = None, port: int | None = None, log_format: str | None = None
) -> int:
    handler = configure_logging(log_format or config.server.log_format)
    site = Site(config)
    # The first Build is made before the port is opened: no request ever finds nothing to serve.
    # It may take minutes (a large store, posts stopped at build.render_timeout): say so.
    log.info("first build of the store at %s; the port opens when it is done", site.store.root)
    started = time.monotonic()
    if not site.rebuild():
        assert site.error is not None
        print(f"syndicate: error: first build failed: {site.error.message}", file=sys.stderr)
        return 1
    log.info("first build done in %.1f s", time.monotonic() - started)
    access_log = AccessLog(handler) if config.server.access_log else None
    allowed = budget(config.server.max_connections)
    connections = Connections(allowed.connections, config.server.header_timeout)
    app = create_app(site, access_log, connections)  # its lifespan runs the rebuild schedule
    http, loop = server_stack()
    log.info(
        "serving with uvicorn on %s and %s, at most %d connections (%d open files)",
        http,
        loop,
        allowed.connections,
        allowed.open_files,
    )
    protocol = guarded(import_from_string(HTTP_PROTOCOLS[http]), connections)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host or config.server.host,
            port=config.server.port if port is None else port,
            proxy_headers=False,  # forwarded headers never change an output
            http=protocol,
            loop=loop,
            backlog=allowed.backlog,
            server_header=False,
            timeout_graceful_shutdown=3,
            log_config=None,
            access_log=False,  # written by the app itself, cheaper than uvicorn's (see syndicate.logs)
        )
    )
    server.run()
    return 0 if server.started else 1


def server_stack() -> tuple[str, str]:
    """uvicorn's fastest HTTP parser and event loop, or its pure-Python ones where a platform
    has no wheel for httptools or uvloop (both are dependencies where they have one)."""
    http = "httptools" if find_spec("httptools") else "h11"
    loop = "uvloop" if find_spec("uvloop") else "asyncio"
    return http, loop
