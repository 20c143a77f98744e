"""The HTTP layer: answers every request from the current Build.

It holds no feed or page logic: it looks the path up, picks an encoding,
answers conditional requests (RFC 9110) and sets headers. A request for a
resource of the Build takes a short path of plain ASGI with headers prepared
once per resource; everything else (health, metrics, redirects, 404s) goes
through Starlette.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from syndicate.build.builder import Build
from syndicate.build.resource import Resource
from syndicate.config import ServerConfig
from syndicate.logs import AccessLog
from syndicate.outputs.output import Kind
from syndicate.outputs.pages import HTML, NOT_FOUND_PATH, not_found_page
from syndicate.serve.connections import Connections
from syndicate.serve.metrics import CONTENT_TYPE, Metrics
from syndicate.serve.polling import PollLimiter, client_address
from syndicate.serve.readership import SAVE_EVERY, Readership
from syndicate.serve.site import Site
from syndicate.serve.stats import STATS_PATH, authorized, gather, render
from syndicate.serve.websub import Publisher
from syndicate.urls import absolute, first_page_alias

_ENCODINGS = ("br", "gzip", "identity")  # preference order on equal q-values
# Every response that is not one of our HTML pages: feeds, JSON, and the store's files, an
# SVG among them, which a browser opening it directly would run the scripts of, on the
# site's origin. No script, no request, and a sandbox: an opaque origin of its own.
FILE_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
_Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What every answer of one resource of the Build shares, made on its first request."""

    resource: Resource
    full: _Headers  # of a 200, but the ETag and the length
    not_modified: _Headers  # of a 304, but the ETag
    modified: datetime | None  # its Last-Modified
    max_age: int
    honest_until: float  # Unix time: past it, max-age would outlast the next due post


class SiteApp:
    """The ASGI application `syndicate serve` runs."""

    def __init__(
        self, site: Site, access_log: AccessLog | None = None, connections: Connections | None = None
    ) -> None:
        self.site = site
        self.access_log = access_log
        config = site.config
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(config.site.base_url))
        self._html_policy = (
            f"default-src 'none'; script-src 'self' {origin}; style-src 'self' {origin}; img-src * data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        self._not_found = not_found_page(config)  # while there is no Build yet, with its own
        self.publisher = Publisher(config.feed.websub_hubs) if config.feed.websub_hubs else None
        if self.publisher is not None:
            publisher = self.publisher
            site.listeners.append(lambda old, new: publisher.on_rebuild(old, new, config.site.base_url))
        self.readership = Readership(config.build.cache_dir)
        allowance = config.server.poll_allowance
        self._limiter = PollLimiter(allowance) if allowance > 0 else None
        self._forwarded = config.server.forwarded_header.lower().encode("latin-1")
        self.metrics = Metrics(site, self.publisher, connections, self.readership)
        self._starlette = Starlette(
            routes=[
                Route("/healthz", self._healthz, methods=["GET", "HEAD"]),
                Route("/metrics", self._prometheus, methods=["GET", "HEAD"]),
                Route(STATS_PATH, self._stats, methods=["GET", "HEAD"]),
                Route("/{path:path}", self._elsewhere, methods=["GET", "HEAD"]),
            ],
            lifespan=self._lifespan,
        )
        # Headers of each resource of the current Build, made on its first request.
        self._prepared: dict[str, _Prepared] = {}
        self._prepared_for: Build | None = None
        self._encodings: dict[bytes, tuple[str, ...]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._starlette(scope, receive, send)
            return
        status = 500  # if nothing answers
        kind: Kind | None = None  # of the Build's file that answered, if one did

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            kind = await self._dispatch(scope, receive, watch)
        finally:
            self.metrics.count(scope["path"], kind, status)
            if self.access_log is not None:
                self.access_log.write(scope, status)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> Kind | None:
        """Answer; the kind of the Build's file that answered, if one did."""
        build = self.site.build
        if scope["method"] in ("GET", "HEAD") and build is not None:
            resource = build.resources.get(scope["path"])
            # The 404 page is in the Build for `build --out` to write; asked for by its own
            # path it is a 404 too, as the static host's template makes it.
            if resource is not None and resource.kind != "not_found" and _is_clean(scope):
                await self._answer(scope, send, build, resource)
                return resource.kind
        await self._starlette(scope, receive, self._secured(send))
        return None

    # The short path

    async def _answer(self, scope: Scope, send: Send, build: Build, resource: Resource) -> None:
        accept = if_none_match = if_modified_since = None
        user_agent = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept = value
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                if_modified_since = value.decode("latin-1")
            elif name == b"user-agent":
                user_agent = value
        prepared = self._headers(build, scope["path"], resource)
        if resource.kind == "feed":
            conditional = if_none_match is not None or if_modified_since is not None
            retry = self._note_feed_request(
                scope, user_agent.decode("latin-1"), conditional, prepared.max_age
            )
            if retry is not None:
                await self._too_many(scope, send, prepared.max_age, retry)
                return
        encoding = self._encoding(accept or b"", resource)
        tag = resource.etag_of(encoding)
        etag = (b"etag", tag.encode())
        full, not_modified = prepared.full, prepared.not_modified
        if _not_modified(if_none_match, if_modified_since, tag, prepared.modified):
            await send({"type": "http.response.start", "status": 304, "headers": [*not_modified, etag]})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [*full, etag]
        body = resource.encoded(encoding)
        if encoding != "identity":
            headers.append((b"content-encoding", encoding.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    def _note_feed_request(
        self, scope: Scope, user_agent: str, conditional: bool, max_age: int
    ) -> int | None:
        """Note a feed request; the seconds it must wait (Retry-After) if the client fetches the
        feed in full more often than its max-age allows, past the allowance (see
        syndicate.serve.polling), else None."""
        peer = scope.get("client")
        address = (
            peer[0]
            if peer and not self._forwarded
            else client_address(peer[0] if peer else None, scope["headers"], self._forwarded)
        )
        path = scope["path"]
        retry = None
        if self._limiter is not None and not conditional:
            retry = self._limiter.refusal(f"{address}\0{user_agent}", path, max_age, time.monotonic())
        self.readership.note(path, address, user_agent, conditional, retry is not None, time.time())
        return retry

    async def _too_many(self, scope: Scope, send: Send, max_age: int, retry: int) -> None:
        body = (
            f"Too many requests: fetch this feed at most once every {max_age} seconds, or send"
            f" If-None-Match with its ETag (a 304 is never refused). Come back in {retry} seconds.\n"
        ).encode()
        headers = {
            "retry-after": str(retry),
            "cache-control": "no-store",
            "content-type": "text/plain; charset=utf-8",
            "content-length": str(len(body)),
            **self._security("text/plain"),
        }
        await send({"type": "http.response.start", "status": 429, "headers": _encoded(headers)})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    def _encoding(self, accept: bytes, resource: Resource) -> str:
        if not resource.compressible:
            return "identity"
        preferred = self._encodings.get(accept)
        if preferred is None:
            if len(self._encodings) > 256:  # any client may send anything: keep it small
                self._encodings.clear()
            preferred = self._encodings[accept] = negotiate(accept.decode("latin-1"))
        return preferred[0]

    def _headers(self, build: Build, path: str, resource: Resource) -> _Prepared:
        """The headers of a 200 and of a 304 but the ETag and the length, and the
        Last-Modified: the same for every request of a resource until a post falls due, so
        made on its first."""
        if self._prepared_for is not build:
            self._prepared, self._prepared_for = {}, build
        prepared = self._prepared.get(path)
        now = time.time()
        if prepared is None or prepared.resource is not resource or now > prepared.honest_until:
            config = self.site.config
            max_age, honest_until = _max_age(resource, config.server, build.next_due, now)
            # What a 304 must carry (RFC 9110, 15.4.5); the ETag makes Last-Modified needless there.
            cache = {"cache-control": f"public, max-age={max_age}", "vary": "Accept-Encoding"}
            headers = {"content-type": resource.media_type, **cache, **self._security(resource.media_type)}
            modified = self.site.last_modified.of(path, resource)
            if modified is not None:
                headers["last-modified"] = format_datetime(modified, usegmt=True)
            if self.publisher is not None and resource.kind == "feed":
                hubs = [f'<{hub}>; rel="hub"' for hub in self.publisher.hubs]
                headers["link"] = ", ".join([*hubs, f'<{absolute(config.site.base_url, path)}>; rel="self"'])
            prepared = _Prepared(
                resource, _encoded(headers), _encoded(cache), modified, max_age, honest_until
            )
            self._prepared[path] = prepared
        return prepared

    def _secured(self, send: Send) -> Send:
        """`send` giving each response Starlette makes (a handler's, a redirect, a 405, a 500)
        the policy of what it is: a page's for HTML, else a file's, under which a browser runs
        no script."""

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                media_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                headers += _encoded(self._security(media_type.decode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        return secured

    def _security(self, media_type: str) -> dict[str, str]:
        policy = self._html_policy if media_type.startswith("text/html") else FILE_POLICY
        return {"x-content-type-options": "nosniff", "content-security-policy": policy}

    # Through Starlette

    async def _elsewhere(self, request: Request) -> Response:
        """Not a resource of the Build: a redirect to the path with a slash or from a listing's
        ".../page/1/" to the listing, or a 404 page."""
        build = self.site.build
        path = request.url.path
        slash = path + "/" if not path.endswith("/") else None
        target = slash if slash is not None and build is not None and slash in build.resources else None
        first = first_page_alias(path)
        if first is not None and build is not None and first in build.resources:
            target = first
        if target is not None and _is_clean(request.scope):
            return RedirectResponse(absolute(self.site.config.site.base_url, target), status_code=301)
        page = build.resources.get(NOT_FOUND_PATH) if build is not None else None
        body = page.body if page is not None else self._not_found
        headers = {"cache-control": "no-cache"}
        if request.method == "HEAD":
            headers["content-length"] = str(len(body))
            return Response(b"", 404, headers=headers, media_type=HTML)
        return Response(body, 404, headers=headers, media_type=HTML)

    async def _healthz(self, request: Request) -> Response:
        """200 while there is a Build to serve, for a load balancer and a liveness probe (a
        restart would not help, and publishes an emptied store). `?strict`, for a monitor
        that reads status codes only: 503 as well while the Build served is not the store's."""
        health = _health(self.site)
        strict = "strict" in request.query_params
        status = 503 if self.site.build is None or (strict and health["status"] != "ok") else 200
        return Response(
            json.dumps(health, ensure_ascii=False, indent=2) + "\n",
            status,
            headers={"cache-control": "no-store"},
            media_type="application/json",
        )

    async def _prometheus(self, request: Request) -> Response:
        headers = {"cache-control": "no-store"}
        return Response(self.metrics.render(), headers=headers, media_type=CONTENT_TYPE)

    async def _stats(self, request: Request) -> Response:
        """The author's page of readers (syndicate.serve.stats): a 404 like any unknown path
        without `server.stats_token`, a 401 without the token."""
        token = self.site.config.server.stats_token
        if not token:
            return await self._elsewhere(request)
        # A ?token= address must not leak through a Referer, a cache or a search engine.
        headers = {
            "cache-control": "no-store, private",
            "referrer-policy": "no-referrer",
            "x-robots-tag": "noindex",
        }
        if not authorized(request.headers.get("authorization"), request.query_params.get("token"), token):
            headers["www-authenticate"] = 'Bearer realm="syndicate stats"'
            return Response("Unauthorized\n", 401, headers=headers, media_type="text/plain")
        body = await asyncio.to_thread(lambda: render(gather(self.readership.audience), self.site.config))
        if request.method == "HEAD":
            headers["content-length"] = str(len(body))
            return Response(b"", headers=headers, media_type=HTML)
        return Response(body, headers=headers, media_type=HTML)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.site.start()  # rebuilds run while the server runs, and stop with it
        if self.publisher is not None:
            self.publisher.start()
        saving = asyncio.create_task(self._save_readership())
        try:
            yield
        finally:
            saving.cancel()
            self.site.stop()
            if self.publisher is not None:
                self.publisher.stop()
            await asyncio.to_thread(self.readership.save)
            if self.access_log is not None:
                self.access_log.flush()

    async def _save_readership(self) -> None:
        while True:
            await asyncio.sleep(SAVE_EVERY)
            await asyncio.to_thread(self.readership.save)  # it writes and renames a file


def create_app(
    site: Site, access_log: AccessLog | None = None, connections: Connections | None = None
) -> SiteApp:
    return SiteApp(site, access_log, connections)


def _max_age(
    resource: Resource, server: ServerConfig, next_due: datetime | None, now: float
) -> tuple[int, float]:
    """How long a cache may answer with `resource` before asking again (see the README's
    Caching), and until when (Unix time) that answer stays true. Asking again costs a 304
    while the file is unchanged (strong ETags), so only feeds, polled by every reader, get
    a max-age of their own: a quarter of the usual time between their posts, within bounds,
    and never past the next scheduled post. (Any post falling due: the site's next one
    comes no later than this feed's.)"""
    if resource.kind == "archive":
        return server.feed_max_age_max, math.inf
    if resource.kind != "feed":
        # Pages and indexes change when a post does; our files and the store's images when
        # their author changes them, under the same URL.
        return server.page_max_age, math.inf
    interval = resource.posting_interval
    wanted = server.feed_max_age_max if interval is None else int(interval / 4)
    max_age = min(max(wanted, server.feed_max_age_min), server.feed_max_age_max)
    if next_due is None:
        return max_age, math.inf
    due = next_due.timestamp()
    if now + max_age <= due:
        return max_age, due - max_age
    return max(0, int(due - now)), now  # made again for the next request


def _encoded(headers: dict[str, str]) -> _Headers:
    return [(name.encode(), value.encode("latin-1")) for name, value in headers.items()]


def _is_clean(scope: Scope) -> bool:
    """Refuse dot segments, encoded slashes and NUL before any lookup."""
    raw = scope.get("raw_path", b"").split(b"?", 1)[0].lower()
    path: str = scope["path"]
    segments = path.split("/")
    return (
        b"%2f" not in raw
        and b"%5c" not in raw
        and b"%00" not in raw
        and "\x00" not in path
        and "\\" not in path
        and ".." not in segments
        and "." not in segments
    )


def negotiate(accept_encoding: str) -> tuple[str, ...]:
    """The encodings a client accepts, best first by q-value, then br, gzip, identity.

    Identity is always last resort: a server may send it even where a client refuses it.
    """
    weights = _q_values(accept_encoding)
    ranked = []
    for order, encoding in enumerate(_ENCODINGS):
        q = weights.get(encoding, weights.get("*", 1.0 if encoding == "identity" else 0.0))
        if q > 0:
            ranked.append((-q, order, encoding))
    return (*[encoding for _, _, encoding in sorted(ranked) if encoding != "identity"], "identity")


def _q_values(header: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        weights["gzip" if name == "x-gzip" else name] = q
    return weights


def _not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, modified: datetime | None
) -> bool:
    if if_none_match is not None:  # takes precedence over If-Modified-Since
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)
    if if_modified_since is None or modified is None:
        return False
    try:
        when = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        return False
    return when == modified  # exactly: see syndicate.serve.modified


def _health(site: Site) -> dict[str, object]:
    build: Build | None = site.build
    error = site.error
    running = site.running
    problems = build.problems if build else ()
    return {
        "status": "degraded" if site.degraded else "ok",
        "build_time": build.made_at.isoformat() if build else None,
        "checked_at": site.checked_at.isoformat() if site.checked_at else None,
        "posts": len(build.published) if build else 0,
        "resources": len(build.resources) if build else 0,
        "skipped": [
            {"path": p.path, "line": p.line, "reason": p.message} for p in problems if p.severity == "error"
        ],
        "warnings": [
            {"path": p.path, "line": p.line, "reason": p.message} for p in problems if p.severity == "warning"
        ],
        "last_error": None
        if error is None
        else {"message": error.message, "since": error.since.isoformat(), "last": error.last.isoformat()},
        "next_due": build.next_due.isoformat() if build and build.next_due else None,
        # Overdue past build.rebuild_overdue: the site may be older than the store meanwhile.
        "rebuild_running": None
        if running is None
        else {
            "since": running.since.isoformat(),
            "seconds": round(running.seconds, 1),
            "overdue": running.seconds > site.config.build.rebuild_overdue,
        },
    }
