"""The example site in a real headless Chromium (Debian's package), driven by Playwright for Python.

No browser is ever downloaded: Playwright launches the system `chromium`. Without it the tests skip
(`make system-deps` installs it), except under CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_CONFIG, REPO
from playwright._impl._driver import compute_driver_executable
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    Request,
    Response,
    expect,
    sync_playwright,
)
from serving import Server, free_port, launch, stop

from syndicate.outputs.words import words_for

TIMEOUT_MS = 15_000
ARTIFACTS = REPO / "artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PER_PAGE = 12
WORDS = words_for("zh-CN")  # the example site's language, which its pages speak
PUBLISHED = 34  # published posts in examples/site/content (drafts and the future post excluded)
# As in the snapshots: 12 a page, newest first, "/" is page 1; /page/2/ the next 12, /page/3/ the last 10.
PAGES = -(-PUBLISHED // PER_PAGE)
SMALL_PER_PAGE = 4  # the second server's page.per_page: nine pages, the last with 2 entries
SMALL_PAGES = -(-PUBLISHED // SMALL_PER_PAGE)
CODE_POSTS = ["posts/python-profiling/", "posts/qwen-7b-chat-sft/", "posts/lora-low-rank-adaptation/"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- fixtures --------------------------------------------------------------


def chromium_or_skip() -> str:
    found = shutil.which("chromium")
    if found is None and Path("/usr/bin/chromium").is_file():
        found = "/usr/bin/chromium"
    if found is None:
        reason = "chromium not installed (make system-deps)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def check_driver_runs() -> None:
    """Fail with the reason when Playwright's bundled node cannot run (it needs libatomic1),
    which Playwright itself reports only as "Connection closed while reading from the driver"."""
    node, _ = compute_driver_executable()
    done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        pytest.fail(f"Playwright's node ({node}) cannot run: {reason} (make system-deps installs libatomic1)")


def example_server(folder: Path, **env: str) -> Server:
    """The example site served on a free port, with `env` overriding its configuration."""
    port = free_port()
    return launch(
        EXAMPLE_CONFIG,
        port,
        EXAMPLE_CONFIG.parent / "content",
        folder / "server.log",
        SYNDICATE_SITE_BASE_URL=f"http://127.0.0.1:{port}/",
        **env,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = example_server(tmp_path_factory.mktemp("browser"))
    yield running
    stop(running)


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The example site at four posts a page, for a pager with every part."""
    running = example_server(
        tmp_path_factory.mktemp("browser-small"), SYNDICATE_PAGE_PER_PAGE=str(SMALL_PER_PAGE)
    )
    yield running
    stop(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    check_driver_runs()
    playwright: Playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


@dataclass
class Tab:
    """A page plus everything that went wrong on it: console errors, page errors, failed requests."""

    page: Page
    origin: str
    problems: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error on {self.page.url}: {message.text} ({message.location})")

    def on_page_error(self, error: Exception) -> None:
        self.problems.append(f"page error on {self.page.url}: {error}")

    def on_request_failed(self, request: Request) -> None:
        # ERR_ABORTED is the browser cancelling a request itself, as it does with a favicon
        # still loading when the test navigates away; a server failure is another error.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def on_response(self, response: Response) -> None:
        if response.status >= 400 and response.url.startswith(self.origin):
            self.problems.append(f"HTTP {response.status} for {response.url}")

    def check(self) -> None:
        """Fail on anything collected so far (and start afresh)."""
        problems, self.problems = self.problems, []
        assert problems == [], "\n".join(problems)

    def visit(self, path: str) -> None:
        response = self.page.goto(self.origin + path.lstrip("/"), wait_until="load")
        assert response is not None and response.status == 200, path
        self.check()

    def settled(self) -> None:
        """After a click that navigates: wait for the new page to load, then check it."""
        self.page.wait_for_load_state("load")
        self.check()


def open_tab(browser: Browser, server: Server, **context: Any) -> Iterator[Tab]:
    ctx = browser.new_context(color_scheme="light", **context)
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    tab = Tab(page, server.url)
    page.on("console", tab.on_console)
    page.on("pageerror", tab.on_page_error)
    page.on("requestfailed", tab.on_request_failed)
    page.on("response", tab.on_response)
    try:
        yield tab
        tab.check()
    finally:
        ctx.close()


@pytest.fixture
def tab(browser: Browser, server: Server) -> Iterator[Tab]:
    yield from open_tab(browser, server, viewport=DESKTOP)


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Tab]:
    yield from open_tab(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def small_tab(browser: Browser, small_server: Server) -> Iterator[Tab]:
    yield from open_tab(browser, small_server, viewport=DESKTOP)


@pytest.fixture
def small_phone(browser: Browser, small_server: Server) -> Iterator[Tab]:
    yield from open_tab(browser, small_server, viewport=PHONE, is_mobile=True, has_touch=True)


# --- helpers ---------------------------------------------------------------


def entries(page: Page) -> Locator:
    return page.locator("main article.entry")


def titles(page: Page) -> list[str]:
    return [text.strip() for text in entries(page).locator("h2 > a").all_inner_texts()]


def pagination(page: Page) -> Locator:
    return page.get_by_role("navigation", name=WORDS.pagination)


def overflowing(page: Page) -> list[str]:
    """Elements that stick out past the right edge of the viewport (for a useful failure message)."""
    return list(
        page.evaluate(
            """() => {
                const width = document.documentElement.clientWidth;
                const out = [];
                for (const el of document.querySelectorAll('body *')) {
                    const box = el.getBoundingClientRect();
                    if (box.right > width + 0.5 && !el.closest('pre, table')) {
                        const name = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '');
                        out.push(`${name} right=${Math.round(box.right)}: ${el.textContent.slice(0, 60)}`);
                    }
                }
                return out.slice(0, 10);
            }"""
        )
    )


# --- tests -----------------------------------------------------------------


def test_the_browser_finds_an_icon(tab: Tab, server: Server) -> None:
    """Chromium asks every site for an icon (once per browser, so this test runs first): a declared
    `<link rel="icon">` or else /favicon.ico. A 404 there is a console error, "Failed to load resource"."""
    page = tab.page
    tab.visit("/")
    icons = page.locator('link[rel~="icon"]')
    href = (icons.first.get_attribute("href") or "") if icons.count() else server.url + "favicon.ico"
    if not href.startswith("data:"):
        response = page.request.get(href, timeout=TIMEOUT_MS)
        assert response.status == 200, f"the icon {href} answers HTTP {response.status}"


def test_latest_updates_shows_its_entries(tab: Tab, server: Server) -> None:
    page = tab.page
    tab.visit("/")
    expect(page.locator("header .banner")).to_have_text("INCOMING TRANSMISSION")
    expect(page.get_by_role("heading", level=1)).to_have_text("LATEST UPDATES")
    expect(entries(page)).to_have_count(PER_PAGE)

    dates = []
    for index in range(PER_PAGE):
        entry = entries(page).nth(index)
        title = entry.locator("h2 > a")
        expect(title).to_have_count(1)
        assert title.inner_text().strip(), f"entry {index} has an empty title"
        assert (title.get_attribute("href") or "").startswith(server.url + "posts/")
        excerpt = entry.locator("p.excerpt")
        expect(excerpt).to_have_count(1)
        assert len(excerpt.inner_text().strip()) > 20, f"entry {index} has no excerpt"
        category = entry.locator(".meta a.category")
        expect(category).to_have_count(1)
        assert category.inner_text().strip()
        assert (category.get_attribute("href") or "").startswith(server.url + "categories/")
        time = entry.locator(".meta time")
        expect(time).to_have_count(1)
        expect(time).to_have_text(DATE)
        dates.append(time.get_attribute("datetime") or "")
        assert dates[-1].startswith(time.inner_text().strip())
    assert dates == sorted(dates, reverse=True), "entries are not newest first"

    # The stylesheet arrived and applies: these all differ from Chromium's defaults.
    style = page.evaluate(
        """() => {
            const css = (selector, property) =>
                getComputedStyle(document.querySelector(selector)).getPropertyValue(property);
            return {
                sheets: [...document.styleSheets].map(s => s.cssRules.length),
                bodyMaxWidth: css('body', 'max-width'),
                entryBorder: css('article.entry', 'border-bottom-style'),
                paginationDisplay: css('nav.pagination', 'display'),
                bannerFont: css('header .banner', 'font-family'),
                bodyFont: css('body', 'font-family'),
            };
        }"""
    )
    assert style["sheets"] and all(rules > 0 for rules in style["sheets"]), style
    assert style["bodyMaxWidth"] not in ("none", ""), style
    assert style["entryBorder"] == "solid", style
    assert style["paginationDisplay"] == "flex", style
    assert style["bannerFont"] != style["bodyFont"], style


def test_pagination_reaches_the_oldest_page_and_back(tab: Tab, server: Server) -> None:
    page = tab.page
    tab.visit("/")
    front = titles(page)
    nav = pagination(page)
    items = [text.strip() for text in nav.locator("a, span").all_inner_texts()]
    assert items == ["1", "2", "3", WORDS.older]  # the snapshots' "1 2", with this site's third page
    expect(nav.locator('[aria-current="page"]')).to_have_text("1")
    expect(nav.get_by_role("link", name="1", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name=WORDS.newer)).to_have_count(0)

    nav.get_by_role("link", name=WORDS.older).click()
    expect(page).to_have_url(server.url + "page/2/")
    tab.settled()
    expect(entries(page)).to_have_count(PER_PAGE)
    second = titles(page)
    pagination(page).get_by_role("link", name=str(PAGES), exact=True).click()
    expect(page).to_have_url(f"{server.url}page/{PAGES}/")
    tab.settled()
    last = titles(page)
    assert len(last) == PUBLISHED - PER_PAGE * (PAGES - 1)
    assert len(set(front + second + last)) == PUBLISHED, "an entry is missing or shown twice"
    nav = pagination(page)
    expect(nav.locator('[aria-current="page"]')).to_have_text(str(PAGES))
    expect(nav.get_by_role("link", name=WORDS.older)).to_have_count(0)
    expect(page).to_have_title(re.compile(re.escape(WORDS.page.format(PAGES))))

    nav.get_by_role("link", name="1", exact=True).click()
    expect(page).to_have_url(server.url)
    tab.settled()
    assert titles(page) == front


def test_page_1_redirects_to_the_front_page(tab: Tab, server: Server) -> None:
    tab.visit("page/1/")
    expect(tab.page).to_have_url(server.url)
    tab.visit("categories/deep-learning/page/1/")
    expect(tab.page).to_have_url(server.url + "categories/deep-learning/")


def test_older_and_newer_walk_every_page_both_ways(small_tab: Tab, small_server: Server) -> None:
    """Four posts a page: "/" and /page/2/ to /page/8/ hold 4 each, /page/9/ the oldest 2."""
    page = small_tab.page
    small_tab.visit("/")
    expect(entries(page)).to_have_count(SMALL_PER_PAGE)
    down = {small_server.url: titles(page)}
    dates = page.locator("main article.entry time").evaluate_all("ts => ts.map(t => t.dateTime)")
    for number in range(2, SMALL_PAGES + 1):
        pagination(page).get_by_role("link", name=WORDS.older).click()
        expect(page).to_have_url(f"{small_server.url}page/{number}/")
        small_tab.settled()
        expect(entries(page)).to_have_count(min(SMALL_PER_PAGE, PUBLISHED - SMALL_PER_PAGE * (number - 1)))
        expect(pagination(page).locator('[aria-current="page"]')).to_have_text(str(number))
        down[page.url] = titles(page)
        dates += page.locator("main article.entry time").evaluate_all("ts => ts.map(t => t.dateTime)")
    expect(pagination(page).get_by_role("link", name=WORDS.older)).to_have_count(0)
    shown = [title for page_titles in down.values() for title in page_titles]
    assert len(shown) == len(set(shown)) == PUBLISHED, "an entry is missing or shown twice"
    assert dates == sorted(dates, reverse=True), "entries are not newest first across the pages"

    up = {page.url: titles(page)}
    while pagination(page).get_by_role("link", name=WORDS.newer).count():
        pagination(page).get_by_role("link", name=WORDS.newer).click()
        small_tab.settled()
        up[page.url] = titles(page)
    assert list(up) == list(down)[::-1]
    assert up == down


def test_the_pager_of_a_middle_page(small_tab: Tab, small_server: Server) -> None:
    page = small_tab.page
    small_tab.visit("page/4/")
    nav = pagination(page)
    items = [text.strip() for text in nav.locator("a, span").all_inner_texts()]
    assert items == [WORDS.newer, "1", "2", "3", "4", "5", "6", "…", "9", WORDS.older]
    expect(nav.locator('[aria-current="page"]')).to_have_text("4")
    # The stylesheet's arrows are not part of the links' names.
    newer, older = (
        nav.get_by_role("link", name=WORDS.newer, exact=True),
        nav.get_by_role("link", name=WORDS.older, exact=True),
    )
    expect(newer).to_have_attribute("rel", "prev")
    expect(newer).to_have_attribute("href", f"{small_server.url}page/3/")
    expect(older).to_have_attribute("rel", "next")
    expect(older).to_have_attribute("href", f"{small_server.url}page/5/")
    save(page, "middle-page.png")

    nav.get_by_role("link", name="2", exact=True).click()
    expect(page).to_have_url(f"{small_server.url}page/2/")
    small_tab.settled()
    pagination(page).get_by_role("link", name="1", exact=True).click()
    expect(page).to_have_url(small_server.url)
    small_tab.settled()
    pagination(page).get_by_role("link", name=str(SMALL_PAGES), exact=True).click()
    expect(page).to_have_url(f"{small_server.url}page/{SMALL_PAGES}/")
    small_tab.settled()


def test_first_category_link_reaches_its_page(tab: Tab, server: Server) -> None:
    page = tab.page
    tab.visit("/")
    link = entries(page).first.locator("a.category")
    name = link.inner_text().strip()
    href = link.get_attribute("href") or ""
    assert re.fullmatch(re.escape(server.url) + r"categories/[^/]+/", href), href

    link.click()
    expect(page).to_have_url(href)
    tab.settled()
    expect(page.get_by_role("heading", level=1)).to_have_text(WORDS.category.format(name))
    assert entries(page).count() >= 1
    shown = [text.strip() for text in entries(page).locator(".meta .category").all_inner_texts()]
    assert shown and set(shown) == {name}, shown


def test_every_category_on_the_first_page_works(tab: Tab, server: Server) -> None:
    """Including the one with a Chinese name, whose address is percent-encoded."""
    page = tab.page
    tab.visit("/")
    names = list(dict.fromkeys(t.strip() for t in entries(page).locator("a.category").all_inner_texts()))
    assert any(not name.isascii() for name in names), names
    for name in names:
        tab.visit("/")
        link = entries(page).locator("a.category", has_text=name).first
        href = link.get_attribute("href") or ""
        link.click()
        expect(page).to_have_url(href)
        tab.settled()
        expect(page.get_by_role("heading", level=1)).to_have_text(WORDS.category.format(name))
        shown = {t.strip() for t in entries(page).locator(".meta .category").all_inner_texts()}
        assert shown == {name}, (name, shown)


def test_entry_titles_open_their_posts(tab: Tab, server: Server) -> None:
    page = tab.page
    tab.visit("/")
    count = entries(page).count()
    assert count == PER_PAGE
    for index in range(count):
        if index:
            tab.visit("/")
        link = entries(page).nth(index).locator("h2 > a")
        title = link.inner_text().strip()
        href = link.get_attribute("href") or ""
        link.click()
        expect(page).to_have_url(href)
        tab.settled()
        expect(page.locator("main h1")).to_have_count(1)
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.locator("main article.post .content")).not_to_be_empty()


@pytest.mark.parametrize("path", ["/", "page/3/", *CODE_POSTS])
def test_phone_has_no_horizontal_scroll(phone: Tab, path: str) -> None:
    page = phone.page
    phone.visit(path)
    if path in CODE_POSTS:
        assert page.locator("main pre").count() > 0, f"{path} has no code block"
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert size[1] == PHONE["width"], size
    assert size[0] <= size[1], f"{path}: scrollWidth {size[0]} > clientWidth {size[1]}: {overflowing(page)}"


@pytest.mark.parametrize("path", ["/", "page/4/", "page/9/"])
def test_phone_has_no_horizontal_scroll_with_a_long_pager(small_phone: Tab, path: str) -> None:
    page = small_phone.page
    small_phone.visit(path)
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert size[0] <= size[1], f"{path}: scrollWidth {size[0]} > clientWidth {size[1]}: {overflowing(page)}"


def save(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True, timeout=TIMEOUT_MS)
    assert path.is_file() and path.stat().st_size > 10 * 1024, path
    return path


def test_screenshots_of_the_latest_updates(tab: Tab, phone: Tab) -> None:
    tab.visit("/")
    save(tab.page, "latest-updates.png")
    phone.visit("/")
    save(phone.page, "latest-updates-phone.png")


MATH_POST = "posts/transformer-attention-notes/"


def test_math_is_laid_out_as_formulas(tab: Tab) -> None:
    page = tab.page
    tab.visit(MATH_POST)
    text = page.locator("main article.post").inner_text()
    assert "\\[" not in text and "\\(" not in text and "\\mathrm" not in text
    sizes = page.evaluate(
        "() => [...document.querySelectorAll('main math')].map(m => {"
        " const box = m.getBoundingClientRect();"
        " return [m.getAttribute('display'), box.width, box.height]; })"
    )
    assert any(display == "block" for display, _, _ in sizes) and any(d == "inline" for d, _, _ in sizes), (
        sizes
    )
    assert all(width > 0 and height > 0 for _, width, height in sizes), sizes


def test_math_fits_a_phone(phone: Tab) -> None:
    page = phone.page
    phone.visit(MATH_POST)
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert size[0] <= size[1], f"scrollWidth {size[0]} > clientWidth {size[1]}: {overflowing(page)}"
