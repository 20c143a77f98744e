"""The HTTP layer: answers every request from the current Build.

It holds no feed or page logic: it looks the path up, picks an encoding,
answers conditional requests (RFC 9110) and sets headers.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from syndicate.build import Build, Resource, Variant
from syndicate.metrics import CONTENT_TYPE, Metrics
from syndicate.pages import not_found_page
from syndicate.scheduler import Site
from syndicate.urls import ATOM_FILE, JSON_FILE, RSS_FILE, absolute
from syndicate.websub import Publisher

_ENCODINGS = ("br", "gzip", "identity")  # preference order on equal q-values
_TOPICS = (ATOM_FILE, RSS_FILE, JSON_FILE)  # feeds whose responses name the WebSub hubs


def create_app(site: Site) -> Starlette:
    config = site.config
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(config.site.base_url))
    html_policy = (
        f"default-src 'none'; style-src 'self' {origin}; img-src * data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    not_found = not_found_page(config)
    publisher = Publisher(config.feed.websub_hubs) if config.feed.websub_hubs else None
    if publisher is not None:
        site.listeners.append(lambda old, new: publisher.on_rebuild(old, new, config.site.base_url))
    metrics = Metrics(site, publisher)

    def security_headers(media_type: str) -> dict[str, str]:
        headers = {"X-Content-Type-Options": "nosniff"}
        if media_type.startswith("text/html"):
            headers["Content-Security-Policy"] = html_policy
        return headers

    def cache_control(resource: Resource) -> str:
        if resource.is_feed:
            return f"public, max-age={config.server.feed_max_age}"
        return f"public, max-age={config.server.page_max_age}"

    def missing(head: bool) -> Response:
        media_type = "text/html; charset=utf-8"
        headers = {**security_headers(media_type), "Cache-Control": "no-cache"}
        if head:
            headers["Content-Length"] = str(len(not_found))
        return Response(b"" if head else not_found, 404, headers=headers, media_type=media_type)

    async def serve(request: Request) -> Response:
        build = site.build
        head = request.method == "HEAD"
        path = request.url.path
        if build is None or not _is_clean(request):
            return missing(head)
        resource = build.resources.get(path)
        if resource is None:
            if not path.endswith("/") and path + "/" in build.resources:
                return RedirectResponse(absolute(config.site.base_url, path + "/"), status_code=301)
            return missing(head)
        headers = security_headers(resource.media_type)
        if publisher is not None and path.endswith(_TOPICS) and "/archive/" not in path:
            hubs = [f'<{hub}>; rel="hub"' for hub in publisher.hubs]
            headers["Link"] = ", ".join([*hubs, f'<{absolute(config.site.base_url, path)}>; rel="self"'])
        return _answer(request, resource, cache_control(resource), headers)

    async def healthz(request: Request) -> Response:
        return Response(
            json.dumps(_health(site), ensure_ascii=False, indent=2) + "\n",
            200 if site.build is not None else 503,
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
            media_type="application/json",
        )

    async def prometheus(request: Request) -> Response:
        return Response(metrics.render(), headers={"Cache-Control": "no-store"}, media_type=CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        site.start()  # rebuilds run while the server runs, and stop with it
        if publisher is not None:
            publisher.start()
        try:
            yield
        finally:
            site.stop()
            if publisher is not None:
                publisher.stop()

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            Route("/metrics", prometheus, methods=["GET", "HEAD"]),
            Route("/{path:path}", serve, methods=["GET", "HEAD"]),
        ],
        middleware=[Middleware(metrics.middleware)],
        lifespan=lifespan,
    )


def _is_clean(request: Request) -> bool:
    """Refuse dot segments, encoded slashes and NUL before any lookup."""
    raw = request.scope.get("raw_path", b"").split(b"?", 1)[0].lower()
    path = request.url.path
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


def _answer(request: Request, resource: Resource, cache_control: str, extra: dict[str, str]) -> Response:
    encoding, variant = _negotiate(request.headers.get("accept-encoding", ""), resource)
    headers = {
        "ETag": variant.etag,
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding",
        **extra,
    }
    if resource.last_modified is not None:
        headers["Last-Modified"] = format_datetime(resource.last_modified, usegmt=True)
    if _not_modified(request, variant, resource):
        return Response(status_code=304, headers=headers)
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    headers["Content-Length"] = str(len(variant.body))
    body = b"" if request.method == "HEAD" else variant.body
    return Response(body, headers=headers, media_type=resource.media_type)


def _negotiate(accept_encoding: str, resource: Resource) -> tuple[str, Variant]:
    """The acceptable encoding with the highest q-value; identity when nothing else fits."""
    weights = _q_values(accept_encoding)
    available = {"br": resource.br, "gzip": resource.gzip}
    best, best_q = "identity", 0.0
    for encoding in _ENCODINGS:
        if encoding != "identity" and available[encoding] is None:
            continue
        q = weights.get(encoding, weights.get("*", 1.0 if encoding == "identity" else 0.0))
        if q > best_q:
            best, best_q = encoding, q
    variant = available.get(best) if best != "identity" else None
    return (best, variant) if variant is not None else ("identity", resource.identity)


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


def _not_modified(request: Request, variant: Variant, resource: Resource) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return "*" in tags or any(tag.removeprefix("W/") == variant.etag for tag in tags)
    since = request.headers.get("if-modified-since")
    if since is None or resource.last_modified is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        return False
    return resource.last_modified.replace(microsecond=0) <= when


def _health(site: Site) -> dict[str, object]:
    build: Build | None = site.build
    error = site.error
    return {
        "status": "ok" if error is None else "degraded",
        "build_time": build.made_at.isoformat() if build else None,
        "checked_at": site.checked_at.isoformat() if site.checked_at else None,
        "posts": len(build.published) if build else 0,
        "resources": len(build.resources) if build else 0,
        "skipped": [
            {"path": p.path, "line": p.line, "reason": p.message}
            for p in (build.problems if build else ())
            if p.severity == "error"
        ],
        "warnings": [
            {"path": p.path, "line": p.line, "reason": p.message}
            for p in (build.problems if build else ())
            if p.severity == "warning"
        ],
        "last_error": None
        if error is None
        else {"message": error.message, "since": error.since.isoformat(), "last": error.last.isoformat()},
        "next_due": build.next_due.isoformat() if build and build.next_due else None,
    }
