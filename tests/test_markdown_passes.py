"""The faster whitespace and unescape passes do what Python-Markdown's own do."""

from __future__ import annotations

import hashlib
import inspect
import random
from xml.etree.ElementTree import Element, SubElement

import markdown
import pytest
from markdown import util
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor
from markdown.preprocessors import NormalizeWhitespace
from markdown.treeprocessors import UnescapeTreeprocessor

from syndicate.markdown_blocks import SkippingBlockExtension
from syndicate.markdown_passes import FastNormalizeWhitespace, FastUnescape
from syndicate.render import MARKDOWN_EXTENSION_CONFIGS, MARKDOWN_EXTENSIONS, markdown_to_html

SNIPPETS = [
    "a\n   \n\nb\n \n \n\tc\r\n  \r\nd  ",
    "   \nstarts with spaces\n\n\n    \n    code after blank lines\n",
    'escaped \\* \\_ \\` \\[ \\\\ and `code \\* kept` and [l](/a\\_b "t\\*")',
    "\x02 and \x03 in the source, \\# escaped",
    "Text[^1]\n\n///Footnotes Go Here///\n\nafter\n\n[^1]: the note",
    "*em* then ///Footnotes Go Here/// in a tail[^1]\n\n[^1]: the note",
    "no marker, a note[^1]\n\n[^1]: the note",
]


@pytest.fixture(scope="module")
def stock() -> markdown.Markdown:
    return markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_EXTENSION_CONFIGS)


@pytest.mark.parametrize("body", SNIPPETS)
def test_passes_render_as_python_markdown_does(stock: markdown.Markdown, body: str) -> None:
    stock.reset()
    assert markdown_to_html(body) == stock.convert(body)


def test_blank_lines_are_emptied_as_python_markdown_empties_them() -> None:
    md = markdown.Markdown()
    ours, theirs = FastNormalizeWhitespace(md), NormalizeWhitespace(md)
    chooser = random.Random(3)
    for _ in range(5000):
        text = "".join(
            chooser.choices(["\n", " ", "  ", "\t", "\r", "a", "\x02", "\r\n"], k=chooser.randint(0, 20))
        )
        lines = text.split("\n")
        assert ours.run(lines) == theirs.run(lines), repr(text)


def test_texts_are_unescaped_as_python_markdown_unescapes_them() -> None:
    md = markdown.Markdown()
    ours, theirs = FastUnescape(md), UnescapeTreeprocessor(md)
    chooser = random.Random(5)
    for _ in range(3000):
        text = "".join(chooser.choices([util.STX, util.ETX, "42", "9", "a", " "], k=chooser.randint(0, 8)))
        assert ours.unescape(text) == theirs.unescape(text), repr(text)
        one, two = Element("p", title=text), Element("p", title=text)
        one.text = two.text = one.tail = two.tail = text
        ours.run(one)
        theirs.run(two)
        assert (one.text, one.tail, one.get("title")) == (two.text, two.tail, two.get("title"))


class Shout(BlockProcessor):
    def test(self, parent: Element, block: str) -> bool:
        return block.startswith("!")

    def run(self, parent: Element, blocks: list[str]) -> None:
        SubElement(parent, "strong").text = blocks.pop(0)[1:].upper()


def test_a_block_processor_registered_after_a_document_is_asked_too() -> None:
    ours, stock = markdown.Markdown(extensions=[SkippingBlockExtension()]), markdown.Markdown()
    assert ours.convert("plain") == "<p>plain</p>"
    for converter in (ours, stock):
        converter.parser.blockprocessors.register(Shout(converter.parser), "shout", 200)
        converter.reset()
    assert ours.convert("!loud\n\nquiet") == stock.convert("!loud\n\nquiet")
    assert "<strong>LOUD</strong>" in ours.convert("!loud")


# What these passes copy from (Markdown 3.11.3): a change there must be made here too.
CHECKED_CODE = "6e2a11d50bf54b9c51dd03fe04084cf5a96697709d5ca6c5472356dd4f824f98"


def test_the_code_copied_is_python_markdowns_current_code() -> None:
    sources = [
        inspect.getsource(NormalizeWhitespace.run),
        inspect.getsource(UnescapeTreeprocessor.unescape),
        UnescapeTreeprocessor.RE.pattern,
        inspect.getsource(BlockParser.parseBlocks),
        inspect.getsource(BlockParser.parseDocument),
    ]
    digest = hashlib.sha256("\n".join(sources).encode()).hexdigest()
    assert digest == CHECKED_CODE, (
        "Python-Markdown's code that syndicate.markdown_passes and markdown_blocks copy changed: "
        f"check it, then set CHECKED_CODE to {digest}"
    )
