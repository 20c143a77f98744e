"""Headings get the ids Python-Markdown's toc extension gives them, with or without the table."""

from __future__ import annotations

import random
import sys
import threading
from collections import Counter
from collections.abc import Callable, MutableSet
from pathlib import Path
from typing import Any

import markdown
import markdown_corpus
import pytest
from markdown.extensions import toc
from markdown.extensions.toc import TocTreeprocessor, render_inner_html
from markdown.postprocessors import Postprocessor
from markdown_corpus import (
    CORPUS,
    EXAMPLE_BODIES,
    EXAMPLE_POSTS,
    check_versions,
    convert,
    differences,
    installed,
    random_documents,
    same_html_message,
    with_hook,
)

from syndicate.render import markdown_toc
from syndicate.render import renderer as render
from syndicate.render.markdown_toc import HeadingIdExtension, HeadingIdProcessor
from syndicate.render.renderer import MARKDOWN_EXTENSION_CONFIGS, MARKDOWN_EXTENSIONS, markdown_to_html
from syndicate.source import frontmatter

DOCUMENTS = [
    "# Intro\n\ntext\n\n## Intro\n\n### Intro\n\n# Intro_1\n\n# Intro_2",
    "# 空洞卷积 Dilated Convolution\n\n## 论文笔记：第一部分\n\n## 強化學習 と カタカナ",
    "# a <span>stashed</span> and <b>bold</b> html\n\n## <em>all html</em>",
    "# Entities &amp; &copy; &#169; & < >\n\n## Quotes \"double\" 'single'",
    "# With `code <b>` and $x^2$ and \\(y\\)\n\n## **strong** *em* [link](/a) ![img](/i.png)",
    "# Note[^1] here\n\ntext\n\n[^1]: the note",
    "#\n\n# \n\n## !!!\n\n## ---\n\n## _",
    "Setext one\n==========\n\nSetext two\n----------\n\n#### Four\n\n###### Six goes no deeper",
    "> # Quoted heading\n\n- item\n\n    ## Heading in a list",
    "# Escaped \\# hash \\* star \\_ under\n\ntext",
    "[TOC]\n\n# First\n\n## Second\n\n# First",
    "# Marker later\n\ntext\n\n[TOC]\n\n## Under it",
    "```\n[TOC]\n```\n\n# Only in code\n\n`[TOC]` inline",
    "# A [TOC] in a heading\n\ntext [TOC] in a paragraph",
]


@pytest.fixture(scope="module")
def stock() -> markdown.Markdown:
    return markdown_corpus.stock()


@pytest.mark.parametrize("body", DOCUMENTS)
def test_headings_get_the_ids_the_toc_extension_gives(stock: markdown.Markdown, body: str) -> None:
    assert markdown_to_html(body) == convert(stock, body)


def test_a_toc_marker_still_becomes_the_table(stock: markdown.Markdown) -> None:
    html = markdown_to_html("[TOC]\n\n# First\n\n## Second")
    assert '<div class="toc">' in html
    assert 'href="#first"' in html


@pytest.mark.parametrize("path", EXAMPLE_POSTS, ids=lambda path: path.name)
def test_example_posts_get_the_same_heading_ids(stock: markdown.Markdown, path: Path) -> None:
    body = frontmatter.body_of(path.read_bytes())
    assert markdown_to_html(body) == convert(stock, body)


def test_random_headings_get_the_same_ids(stock: markdown.Markdown) -> None:
    pieces = [
        *"ab 中文カ_-*`$&<>!#[]()^",
        "word",
        "Word",
        "&amp;",
        "<span>x</span>",
        "`c`",
        "$m$",
        "[l](/u)",
        "[^1]",
        "  ",
        "_1",
    ]
    chooser = random.Random(4)
    for _ in range(300):
        headings = [
            "#" * chooser.randint(1, 6) + " " + "".join(chooser.choices(pieces, k=chooser.randint(0, 6)))
            for _ in range(chooser.randint(1, 6))
        ]
        body = "\n\ntext\n\n".join(headings) + "\n\n[^1]: a note"
        assert markdown_to_html(body) == convert(stock, body), body


class Swap(Postprocessor):
    """Changes a heading's inner HTML as toc runs it through, not the document."""

    def run(self, text: str) -> str:
        return text if text.startswith("<") else text.replace("cat", "dog")


def test_a_postprocessor_of_another_extension_counts_in_heading_ids() -> None:
    ours = markdown.Markdown(extensions=["toc", HeadingIdExtension()])
    stock = markdown.Markdown(extensions=["toc"])
    for converter in (ours, stock):
        converter.postprocessors.register(Swap(converter), "swap", 1)
    body = "# A cat\n\ntext about a cat"
    assert ours.convert(body) == stock.convert(body)
    assert '<h1 id="a-dog">A cat</h1>' in ours.convert(body)


def test_deep_nesting_renders_as_python_markdown_renders_it_with_a_deeper_stack() -> None:
    # Python-Markdown's toc put its table in place by walking the tree recursively: 2,000
    # nested emphases were a RecursionError. Without a [TOC] marker no table is made.
    body = "_" * 2000 + "a" + "_" * 2000 + "\n"
    expected: list[str] = []

    def deep() -> None:
        converter = markdown.Markdown(
            extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_EXTENSION_CONFIGS
        )
        expected.append(converter.convert(body))

    limit, size = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(50_000)
    threading.stack_size(256 * 1024 * 1024)
    try:
        thread = threading.Thread(target=deep)
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(limit)
        threading.stack_size(size)
    assert markdown_to_html(body) == expected[0]
    assert expected[0].count("<strong>") > 500


# markdown_toc replaces the toc extension's treeprocessor (under its name, a public way) by
# one that copies what TocTreeprocessor.run does to headings: what follows fails, saying
# what to re-check, when upstream's code changes.

BODIES = [*DOCUMENTS, *CORPUS, *EXAMPLE_BODIES, *random_documents(4, 300)]
UPSTREAM = "TocTreeprocessor.run (markdown/extensions/toc.py), or what it calls to make an id"


def test_the_processor_was_checked_against_the_markdown_installed_and_pinned() -> None:
    check_versions(markdown_toc)


def test_python_markdown_calls_the_processor_which_skips_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: Counter[str] = Counter()

    def counting(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def count(*args: Any) -> Any:
            calls[name] += 1
            return method(*args)

        return count

    monkeypatch.setattr(TocTreeprocessor, "run", counting("TocTreeprocessor.run", TocTreeprocessor.run))
    monkeypatch.setattr(HeadingIdProcessor, "run", counting("ours", HeadingIdProcessor.run))
    monkeypatch.setattr(markdown_toc, "render_inner_html", counting("inner HTML", render_inner_html))
    monkeypatch.setattr(render._local, "markdown", None, raising=False)  # made anew as render.py makes it
    html = markdown_to_html("# Plain heading\n\ntext\n\n## A `code` heading")
    processors = render._local.markdown.treeprocessors
    assert [type(processor) for processor in processors].count(TocTreeprocessor) == 0, (
        f"Python-Markdown ({installed()}) registers the toc extension's treeprocessor under another "
        "name or priority than markdown_toc.py replaces: both run. Re-check HeadingIdExtension"
    )
    for name, count, what in [
        ("ours", 1, "is not what runs"),
        ("TocTreeprocessor.run", 0, "makes the table of contents of a document without a [TOC]"),
        ("inner HTML", 1, "renders the inner HTML of a heading of plain text"),
    ]:
        assert calls[name] == count, (
            f"{name} was called {calls[name]} times on a document, not {count}: markdown_toc.py's "
            f"HeadingIdProcessor {what} with {installed()}. Re-check markdown_toc.py against {UPSTREAM}"
        )
    assert html.startswith('<h2 id="plain-heading">Plain heading</h2>')
    markdown_to_html("[TOC]\n\n# A heading")
    assert calls["TocTreeprocessor.run"] == 1  # a document with a marker gets the whole extension


def test_the_processor_renders_what_the_whole_toc_extension_renders() -> None:
    converter = with_hook(HeadingIdExtension())
    found = differences(lambda body: convert(converter, body), BODIES)
    assert not found, same_html_message(markdown_toc, UPSTREAM, found, len(BODIES))


def _dashed_unique(id: str, ids: MutableSet[str], counters: dict[str, int] | None = None) -> str:
    number, base = 0, id
    while id in ids or not id:
        number += 1
        id = f"{base}-{number}"
    ids.add(id)
    return id


@pytest.mark.parametrize(
    ("name", "change"),
    [("remove_fnrefs", lambda heading: heading), ("unique", _dashed_unique)],
    ids=["footnote marks kept in names", "ids made unique with dashes"],
)
def test_the_documents_would_show_a_change_of_the_toc_extension(
    monkeypatch: pytest.MonkeyPatch, name: str, change: Callable[..., Any]
) -> None:
    # TocTreeprocessor.run changed as it might, under ours: the comparison above must fail.
    converter = with_hook(HeadingIdExtension())
    monkeypatch.setattr(toc, name, change)
    assert differences(lambda body: convert(converter, body), BODIES), (
        f"no document renders differently when TocTreeprocessor.run calls another {name}: "
        "add documents to tests/markdown_corpus.py that would"
    )
