"""A store's SVG holding script, opened directly in a real Chromium (Debian's, through
Playwright), runs none of it: the policy `syndicate serve` sends with it forbids it. The
same SVG without that policy, from the same origin, does run: the test can see a script run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright
from serving import Server, start, stop
from test_browser import CHROMIUM_ARGS, TIMEOUT_MS, check_driver_runs, chromium_or_skip
from test_store_files import EVIL_SVG, hostile_store

RAN = ("script ran", "onload ran")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("svg")
    hostile_store(folder)
    running = start(folder, interval=60)
    yield running
    stop(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    check_driver_runs()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        try:
            yield launched
        finally:
            launched.close()


def console_of(browser: Browser, url: str, unguarded: bool = False) -> list[str]:
    """What the page at `url` wrote to the console once loaded; with `unguarded`, the store's
    SVG is answered in place of the server, with no header at all."""
    page: Page = browser.new_page()
    lines: list[str] = []
    page.on("console", lambda message: lines.append(message.text))
    if unguarded:
        page.route(url, lambda route: _bare_svg(route))
    try:
        page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        page.wait_for_timeout(300)  # an onload handler runs after the load event
    finally:
        page.close()
    return lines


def _bare_svg(route: Route) -> None:
    route.fulfill(status=200, body=EVIL_SVG, content_type="image/svg+xml")


def test_an_svg_opened_directly_runs_no_script(browser: Browser, server: Server) -> None:
    lines = console_of(browser, server.url + "images/evil.svg")
    assert not [line for line in lines if line in RAN]
    assert any("Content Security Policy" in line or "sandboxed" in line for line in lines), lines


def test_the_same_svg_without_the_policy_would_run_its_script(browser: Browser, server: Server) -> None:
    lines = console_of(browser, server.url + "images/unguarded.svg", unguarded=True)
    assert "script ran" in lines


def test_a_page_showing_the_svg_runs_none_of_it(browser: Browser, server: Server) -> None:
    lines = console_of(browser, server.url + "posts/hello/")
    assert not [line for line in lines if line in RAN]
