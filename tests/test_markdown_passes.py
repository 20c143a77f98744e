"""The faster whitespace and unescape passes do what Python-Markdown's own do."""

from __future__ import annotations

import hashlib
import inspect
import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, SubElement

import markdown
import markdown_corpus
import pytest
from markdown import util
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor
from markdown.extensions.footnotes import FootnoteExtension
from markdown.preprocessors import NormalizeWhitespace
from markdown.treeprocessors import UnescapeTreeprocessor
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

from syndicate.render import markdown_passes
from syndicate.render import renderer as render
from syndicate.render.markdown_blocks import SkippingBlockExtension
from syndicate.render.markdown_passes import (
    FastNormalizeWhitespace,
    FastPassesExtension,
    FastUnescape,
    _look_only_where_it_is,
)
from syndicate.render.renderer import markdown_to_html

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
    return markdown_corpus.stock()


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
        f"Python-Markdown's code that markdown_passes.py and markdown_blocks.py copy or wrap changed "
        f"({installed()} installed): compare NormalizeWhitespace.run and UnescapeTreeprocessor with "
        "markdown_passes.py's, BlockParser.parseBlocks and parseDocument with markdown_blocks.py's, "
        f"fix those if need be, then set CHECKED_CODE to {digest}"
    )


# markdown_passes replaces or wraps Python-Markdown's passes through public names, but
# relies on what upstream's code does: what follows fails, saying what to re-check, when
# that changes.

BODIES = [*SNIPPETS, *CORPUS, *EXAMPLE_BODIES, *random_documents(3, 300)]
UPSTREAM = (
    "NormalizeWhitespace.run (markdown/preprocessors.py), UnescapeTreeprocessor "
    "(markdown/treeprocessors.py) or FootnoteExtension.findFootnotesPlaceholder "
    "(markdown/extensions/footnotes.py)"
)


def test_the_passes_were_checked_against_the_markdown_installed_and_pinned() -> None:
    check_versions(markdown_passes)


def test_python_markdown_calls_the_passes_which_skip_what_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: Counter[str] = Counter()

    def counting(name: str, method: Callable[..., Any], when: Callable[..., bool] = lambda *_: True) -> Any:
        def count(*args: Any) -> Any:
            calls[name] += when(*args)
            return method(*args)

        return count

    for cls, name in [
        (NormalizeWhitespace, "run"),
        (FastNormalizeWhitespace, "run"),
        (FastUnescape, "unescape"),
        (FootnoteExtension, "findFootnotesPlaceholder"),
    ]:
        monkeypatch.setattr(cls, name, counting(f"{cls.__name__}.{name}", vars(cls)[name]))
    needless = counting(
        "UnescapeTreeprocessor.unescape without a marker",
        UnescapeTreeprocessor.unescape,
        lambda self, text: util.STX not in text,
    )
    monkeypatch.setattr(UnescapeTreeprocessor, "unescape", needless)
    monkeypatch.setattr(render._local, "markdown", None, raising=False)  # made anew as render.py makes it
    markdown_to_html("")
    converter = render._local.markdown
    footnotes = next(ext for ext in converter.registeredExtensions if isinstance(ext, FootnoteExtension))
    # markdown_passes' own finder (on the instance): the one Python-Markdown must call.
    footnotes.findFootnotesPlaceholder = counting("our finder", footnotes.findFootnotesPlaceholder)  # type: ignore[method-assign]
    calls.clear()
    html = markdown_to_html("Plain text with a note[^1].\n\n[^1]: The note.")
    kinds = [type(processor) for processor in (*converter.preprocessors, *converter.treeprocessors)]
    assert NormalizeWhitespace not in kinds and UnescapeTreeprocessor not in kinds, (
        f"Python-Markdown ({installed()}) registers its whitespace or unescape pass under another "
        "name than markdown_passes.py replaces: both run. Re-check the names and priorities it registers"
    )
    expected = {  # how many calls, at least and at most: what it means when there are others
        "FastNormalizeWhitespace.run": (1, 1, "whitespace pass is not what runs"),
        "FastUnescape.unescape": (1, None, "unescape pass is not what runs"),
        "our finder": (1, 1, "footnotes' placeholder finder is not what runs"),
        "NormalizeWhitespace.run": (0, 0, "whitespace pass runs, and Python-Markdown's too"),
        "UnescapeTreeprocessor.unescape without a marker": (
            0,
            0,
            "unescape pass unescapes texts without STX",
        ),
        "FootnoteExtension.findFootnotesPlaceholder": (0, 0, "finder looks where no placeholder is"),
    }
    for name, (least, most, what) in expected.items():
        assert least <= calls[name] <= (most if most is not None else calls[name]), (
            f"{name} was called {calls[name]} times on a document: markdown_passes.py's {what} "
            f"with {installed()}. Re-check markdown_passes.py against {UPSTREAM}"
        )
    assert html.startswith('<p>Plain text with a note<sup id="fnref:1">')


def test_the_passes_render_what_python_markdowns_own_passes_render() -> None:
    converter = with_hook(FastPassesExtension())
    found = differences(lambda body: convert(converter, body), BODIES)
    assert not found, same_html_message(markdown_passes, UPSTREAM, found, len(BODIES))


def test_the_footnotes_placeholder_is_found_where_python_markdown_finds_it() -> None:
    ours, theirs = FootnoteExtension(), FootnoteExtension()
    _look_only_where_it_is(ours)
    marker = theirs.getConfig("PLACE_MARKER")
    texts = [None, None, "", "a", marker, f"a {marker} b", marker[:-1]]
    chooser = random.Random(6)
    for _ in range(3000):
        root = Element("div")
        elements = [root]
        for _ in range(chooser.randint(0, 8)):
            element = SubElement(chooser.choice(elements), chooser.choice(["p", "li", "em"]))
            element.text, element.tail = chooser.choice(texts), chooser.choice(texts)
            elements.append(element)
        root.text = chooser.choice(texts)
        assert ours.findFootnotesPlaceholder(root) == theirs.findFootnotesPlaceholder(root), (
            "markdown_passes.py's footnotes placeholder finder answers other than Python-Markdown's "
            f"FootnoteExtension.findFootnotesPlaceholder ({installed()}): re-check it"
        )


def _keeping_tabs(self: NormalizeWhitespace, lines: list[str]) -> list[str]:
    source = "\n".join(lines).replace(util.STX, "").replace(util.ETX, "")
    source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
    return re.sub(r"(?<=\n) +\n", "\n", source).split("\n")


def _keeping_stx_and_etx(self: NormalizeWhitespace, lines: list[str]) -> list[str]:
    source = "\n".join(lines).replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
    source = source.expandtabs(self.md.tab_length)
    return re.sub(r"(?<=\n) +\n", "\n", source).split("\n")


@pytest.mark.parametrize("run", [_keeping_tabs, _keeping_stx_and_etx])
def test_the_documents_would_show_a_change_of_python_markdowns_whitespace_pass(
    monkeypatch: pytest.MonkeyPatch, run: Callable[..., list[str]]
) -> None:
    # Upstream's pass changed as it might, under ours: the comparison above must fail.
    converter = with_hook(FastPassesExtension())
    monkeypatch.setattr(NormalizeWhitespace, "run", run)
    assert differences(lambda body: convert(converter, body), BODIES), (
        "no document renders differently when NormalizeWhitespace.run is "
        f"{run.__name__[1:].replace('_', ' ')}: add documents to tests/markdown_corpus.py that would"
    )
