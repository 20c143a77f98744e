"""The subscribe page in Debian's Chromium: the site's own script runs under the site's
Content-Security-Policy (a violation is a console error, which fails the tab), its buttons
copy, and without script the page still shows every address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from serving import Server
from test_browser import DESKTOP, WORDS, Tab, browser, open_tab, server  # noqa: F401 (fixtures)


@pytest.fixture
def no_script(browser: Browser, server: Server) -> Iterator[Tab]:  # noqa: F811
    yield from open_tab(browser, server, viewport=DESKTOP, java_script_enabled=False)


@pytest.fixture
def tab(browser: Browser, server: Server) -> Iterator[Tab]:  # noqa: F811
    yield from open_tab(browser, server, viewport=DESKTOP)


def test_the_copy_button_copies_the_feed_address(tab: Tab, server: Server) -> None:  # noqa: F811
    tab.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url.rstrip("/"))
    tab.visit("/")
    tab.page.get_by_role("link", name=WORDS.subscribe, exact=True).click()
    tab.settled()
    assert tab.page.url == server.url + "subscribe/"
    button = tab.page.locator("#site button.copy").first
    expect(button).to_be_visible()
    button.click()
    expect(button).to_have_text(WORDS.copied)
    assert tab.page.evaluate("navigator.clipboard.readText()") == server.url + "atom.xml"
    expect(button).to_have_text(WORDS.copy, timeout=5_000)
    tab.check()


def test_a_category_page_leads_to_its_own_feeds(tab: Tab, server: Server) -> None:  # noqa: F811
    tab.visit("/categories/nlp/")
    tab.page.get_by_role("link", name=WORDS.subscribe, exact=True).click()
    tab.settled()
    first = tab.page.locator("main section").first
    expect(first.locator("code").first).to_have_text(server.url + "categories/nlp/atom.xml")
    expect(first.locator("button.copy").first).to_be_visible()


def test_without_script_the_addresses_are_there_and_no_button_is(no_script: Tab, server: Server) -> None:  # noqa: F811
    no_script.visit("/subscribe/")
    expect(no_script.page.locator("#site code").first).to_have_text(server.url + "atom.xml")
    expect(no_script.page.locator("button.copy").first).to_be_hidden()
    assert no_script.page.locator("button.copy:visible").count() == 0
