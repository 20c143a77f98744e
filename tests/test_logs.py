"""The access log: one line per request, in the format of every other log line."""

from __future__ import annotations

import asyncio
import io
import json
import logging

from starlette.types import Scope

from syndicate.logs import AccessLog, JsonFormatter, TextFormatter


def handler(formatter: logging.Formatter) -> logging.StreamHandler[io.StringIO]:
    made = logging.StreamHandler(io.StringIO())
    made.setFormatter(formatter)
    return made


def scope(**extra: object) -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "http_version": "1.1",
        "path": "/atom.xml",
        "raw_path": b"/atom.xml",
        "query_string": b"",
        "client": ("127.0.0.1", 5000),
        **extra,
    }


async def write_then_wait(log: AccessLog, scopes: list[Scope], status: int, wait: float) -> None:
    for one in scopes:
        log.write(one, status)
    await asyncio.sleep(wait)


def test_a_text_line_names_client_request_and_status() -> None:
    text = handler(TextFormatter())
    log = AccessLog(text, delay=0)
    asyncio.run(write_then_wait(log, [scope(query_string=b"page=2")], 304, 0.01))
    line = text.stream.getvalue()
    assert line.endswith(' INFO syndicate.access: 127.0.0.1:5000 - "GET /atom.xml?page=2 HTTP/1.1" 304\n')
    assert line.count("\n") == 1


def test_a_json_line_has_the_fields_of_every_other_json_line() -> None:
    json_handler = handler(JsonFormatter())
    log = AccessLog(json_handler, delay=0)
    asyncio.run(write_then_wait(log, [scope(method="HEAD")], 200, 0.01))
    line = json.loads(json_handler.stream.getvalue())
    other = json.loads(JsonFormatter().format(logging.makeLogRecord({"msg": "x", "levelname": "INFO"})))
    assert set(line) == set(other)
    assert line["level"] == "info" and line["logger"] == "syndicate.access"
    assert line["message"] == '127.0.0.1:5000 - "HEAD /atom.xml HTTP/1.1" 200'


def test_a_decoded_path_cannot_forge_a_line() -> None:
    text = handler(TextFormatter())
    log = AccessLog(text, delay=0)
    forged = scope(path="/a\n2026-01-01T00:00:00.000Z INFO forged", raw_path=None, client=None)
    asyncio.run(write_then_wait(log, [forged], 404, 0.01))
    lines = text.stream.getvalue().splitlines()
    assert len(lines) == 1
    assert '- "GET /a%0A2026-01-01T00%3A00%3A00.000Z%20INFO%20forged HTTP/1.1" 404' in lines[0]


class CountingStream(io.StringIO):
    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_many_lines_share_one_write_that_comes_within_the_delay() -> None:
    stream = CountingStream()
    counted = logging.StreamHandler(stream)
    counted.setFormatter(TextFormatter())
    log = AccessLog(counted, delay=0.05)

    async def run() -> tuple[int, int]:
        for _ in range(100):
            log.write(scope(), 200)
        before = stream.writes
        await asyncio.sleep(0.2)
        return before, stream.writes

    assert asyncio.run(run()) == (0, 1)
    assert len(stream.getvalue().splitlines()) == 100


def test_a_full_batch_is_written_at_once() -> None:
    stream = CountingStream()
    counted = logging.StreamHandler(stream)
    counted.setFormatter(TextFormatter())
    log = AccessLog(counted, delay=3600, batch=10)

    async def run() -> int:
        for _ in range(25):
            log.write(scope(), 200)
        return stream.writes

    assert asyncio.run(run()) == 2
    assert len(stream.getvalue().splitlines()) == 20


def test_a_closed_stream_loses_the_line_not_the_request() -> None:
    text = handler(TextFormatter())
    text.stream.close()
    log = AccessLog(text, delay=0)
    asyncio.run(write_then_wait(log, [scope()], 200, 0.01))  # no exception


def test_a_token_in_the_query_never_reaches_the_log() -> None:
    text = handler(TextFormatter())
    log = AccessLog(text, delay=0)
    query = b"token=s3cret-s3cret-s3cret&x=1"
    asyncio.run(
        write_then_wait(log, [scope(path="/stats/", raw_path=b"/stats/", query_string=query)], 200, 0.01)
    )
    line = text.stream.getvalue()
    assert "s3cret" not in line and '"GET /stats/?token=-&x=1 HTTP/1.1" 200' in line
