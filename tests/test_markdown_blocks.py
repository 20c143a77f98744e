"""The block parser that skips tests a block cannot pass renders what Python-Markdown renders."""

from __future__ import annotations

import hashlib
import inspect
import random
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

import markdown
import markdown_corpus
import pytest
from markdown.blockparser import BlockParser
from markdown.blockprocessors import HashHeaderProcessor
from markdown.util import Registry
from markdown_corpus import (
    CORPUS,
    EXAMPLE_BODIES,
    check_versions,
    convert,
    differences,
    installed,
    random_documents,
    same_html_message,
    with_hook,
)

from syndicate.render import markdown_blocks
from syndicate.render import renderer as render
from syndicate.render.markdown_blocks import NEEDS, SkippingBlockExtension
from syndicate.render.renderer import markdown_to_html

# Blocks each listed processor takes, or nearly takes.
SNIPPETS = [
    "# One\n\n## Two ##\n\n###### Six\n\n####### Seven is text\n\n#not a heading",
    "text\n# heading inside a block\nmore text",
    "> quote\n> more\n\n>no space\n\n   > indented three\n\n    > indented four is code",
    "para\n> a quote starting mid-block",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\na | b\n--|--\n1 | 2",
    "| single |\n| --- |\n| cell |\n\n| only a header |\n\nno pipes\n---|",
    "| a | b |\n|:-:|--:|\n| `|` | \\| |",
    "---\n\n- - -\n\n***\n\n* * *\n\n___\n\n_ _ _\n\n--\n\n-- -",
    "text\n---\n\ntext\n===\n\n- item\n- item\n\n1. one\n2. two",
    "- a list\n- with | a pipe\n    > and a quote\n    # and a heading",
    "中文段落，没有任何标记。\n第二行。\n\n另一段：数学 $x$ 和代码 `y`。",
    "Setext\n=\n\nnot setext\n =\n\nline\n- item after a line\n\nline\n-- two",
    'text[^1] and [ref] and [^2]\n\n[^1]: one\n[^2]: two\n    more\n\n[ref]: /url "Title"\n\n'
    "a [x]: not a definition mid-line\n[y]:\n/after-a-break\n\n[^3]:tight\n\n[t]:/tight",
]


@pytest.fixture(scope="module")
def stock() -> markdown.Markdown:
    return markdown_corpus.stock()


@pytest.mark.parametrize("body", SNIPPETS)
def test_blocks_render_as_python_markdown_does(stock: markdown.Markdown, body: str) -> None:
    stock.reset()
    assert markdown_to_html(body) == stock.convert(body)


# What NEEDS was checked against (Markdown 3.11.3, pymdown-extensions 12.3): each listed
# processor's test and regexes. A change to one may make it pass on blocks without its needs.
CHECKED_TESTS = "ed74a8361d25287ad1220f39b26654598fdfd014889d3b188b2ab31850562395"


def _checked(stock: markdown.Markdown) -> str:
    parts = []
    for name in sorted(NEEDS):
        processor = stock.parser.blockprocessors[name]
        regexes = [getattr(processor, attr, None) for attr in ("RE", "SEARCH_RE", "RE_END_BORDER")]
        regexes = [regex if isinstance(regex, str | None) else regex.pattern for regex in regexes]
        # The table's test splits the first rows into cells, so how it splits counts too.
        methods = [
            getattr(type(processor), method, None) for method in ("test", "run", "_split_row", "_split")
        ]
        sources = "".join(inspect.getsource(method) for method in methods if method is not None)
        parts.append(f"{name} {type(processor).__qualname__}\n{sources}{regexes}")
    return "\n".join(parts)


def test_the_block_tests_are_the_ones_needs_was_checked_against(stock: markdown.Markdown) -> None:
    checked = _checked(stock)
    digest = hashlib.sha256(checked.encode()).hexdigest()
    assert digest == CHECKED_TESTS, (
        "Python-Markdown's block tests changed: check each NEEDS entry against the test "
        f"below, then set CHECKED_TESTS to {digest}\n{checked}"
    )


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_a_block_test_never_passes_without_its_needs(stock: markdown.Markdown, name: str) -> None:
    processor = stock.parser.blockprocessors[name]
    needs = NEEDS[name]
    alphabet = [
        *"ab 中\n|#>-_*=:`$[]\\",
        "   ",
        "    ",
        "\n\n",
        "***",
        "* * *",
        "---",
        "___",
        "| a |",
        "# h",
        "> q",
        "[^1]:",
        "[r]:",
        " /u",
    ]
    chooser = random.Random(name)
    tried = 0
    while tried < 3000:
        block = "".join(chooser.choice(alphabet) for _ in range(chooser.randint(1, 30)))
        if any(need in block for need in needs):
            continue
        tried += 1
        blocks = [block]
        taken = processor.test(Element("div"), block) and processor.run(Element("div"), blocks) is not False
        assert not taken, f"{name} takes {block!r}"
        assert blocks == [block]


# markdown_blocks hooks Python-Markdown's parser through public names (each processor's
# `test`, the parser's `parseBlocks`), but relies on what upstream's code does: what follows
# fails, saying what to re-check, when that changes.

BODIES = [*SNIPPETS, *CORPUS, *EXAMPLE_BODIES, *random_documents(2, 300)]
UPSTREAM = (
    "BlockParser's parseDocument and parseBlocks (markdown/blockparser.py) or a listed processor's test"
)


def test_the_hooks_were_checked_against_the_markdown_installed_and_pinned() -> None:
    check_versions(markdown_blocks)


def test_python_markdown_calls_the_hooks_which_skip_what_cannot_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"heading tests": 0, "lists of processors": 0}
    heading_test, iterate = HashHeaderProcessor.test, Registry.__iter__

    def counting_test(self: HashHeaderProcessor, parent: Element, block: str) -> bool:
        calls["heading tests"] += 1
        return heading_test(self, parent, block)

    def counting_iterate(self: Registry[Any]) -> Iterator[Any]:
        if "paragraph" in self:  # the block processors
            calls["lists of processors"] += 1
        return iterate(self)

    monkeypatch.setattr(HashHeaderProcessor, "test", counting_test)
    monkeypatch.setattr(Registry, "__iter__", counting_iterate)
    monkeypatch.setattr(render._local, "markdown", None, raising=False)  # made anew as render.py makes it
    html = markdown_to_html("plain\n\nplain two\n\n# heading\n\nplain three")
    processors = render._local.markdown.parser.blockprocessors
    for name in NEEDS:
        assert name in processors, (
            f"Python-Markdown ({installed()}) has no block processor named {name!r} any more: "
            "markdown_blocks.py's NEEDS entry for it does nothing. Re-check NEEDS against the "
            "block processors of markdown/blockprocessors.py and the extensions"
        )
    assert calls["heading tests"] == 1, (
        f"the heading processor was asked about {calls['heading tests']} blocks of 4, not only the "
        f"one with a '#': markdown_blocks.py's wrapped tests are not what Python-Markdown ({installed()}) "
        "calls. Re-check it against BlockParser.parseBlocks in markdown/blockparser.py"
    )
    assert calls["lists of processors"] == 1, (
        f"the block processors were listed {calls['lists of processors']} times for 4 blocks, not once: "
        f"markdown_blocks.py's parseDocument and parseBlocks are not what Python-Markdown ({installed()}) "
        "calls. Re-check them against BlockParser in markdown/blockparser.py"
    )
    assert html == '<p>plain</p>\n<p>plain two</p>\n<h2 id="heading">heading</h2>\n<p>plain three</p>'


def test_the_hooks_render_what_python_markdowns_own_parser_renders() -> None:
    converter = with_hook(SkippingBlockExtension())
    found = differences(lambda body: convert(converter, body), BODIES)
    assert not found, same_html_message(markdown_blocks, UPSTREAM, found, len(BODIES))


def _dropping_blank_blocks(self: BlockParser, parent: Element, blocks: list[str]) -> None:
    while blocks:
        if not blocks[0].strip():
            blocks.pop(0)
            continue
        for processor in self.blockprocessors:
            if processor.test(parent, blocks[0]) and processor.run(parent, blocks) is not False:
                break


def test_the_documents_would_show_a_change_of_python_markdowns_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Upstream's loop changed as it might, under our hook: the comparison above must fail.
    converter = with_hook(SkippingBlockExtension())
    monkeypatch.setattr(BlockParser, "parseBlocks", _dropping_blank_blocks)
    assert differences(lambda body: convert(converter, body), BODIES), (
        "no document renders differently when BlockParser.parseBlocks drops blank blocks: "
        "add documents to tests/markdown_corpus.py that would"
    )
