"""Python-Markdown's block parser, without running tests that cannot pass.

For every block of a post (each paragraph, list, table, ...) the parser asks its block
processors one after the other whether the block is theirs, until one says yes. Several
ask with a regex searched over the whole block, or split it into table cells, when what
they look for needs what most blocks do not have: "#" for a heading, ">" for a quote,
"|" for a table, "]:" for a footnote's definition, "--" or "- -" for a rule. Here such a
processor is asked only about a block that has it; and the list of processors is taken
once a document rather than once a block.

Both hooks use public names: each listed processor's `test` method is wrapped on the
instance, and the parser's `parseBlocks` is replaced on the instance by a copy of
BlockParser.parseBlocks' loop over the list taken by `parseDocument`. Both depend on what
upstream's code does, not only on its names. Checked against Python-Markdown 3.11.3 and
pymdown-extensions 12.3 (CHECKED_AGAINST; constraints.txt pins both). The tests fail,
saying what to re-check, when another version is installed, when a hook is not called,
when a processor takes a block without its needs, and when a corpus of documents renders
differently from Python-Markdown's own parser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from xml.etree.ElementTree import Element, ElementTree

import markdown
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension

# The versions this module's hooks were checked against.
CHECKED_AGAINST = {"markdown": "3.11.3", "pymdown-extensions": "12.3"}

# For each block processor: strings of which at least one must appear in a block for the
# processor to take it (its test to pass and its run not to give the block back, as the
# footnote and link reference processors do with any block without a definition). A
# processor missing from this table is always asked.
NEEDS: dict[str, tuple[str, ...]] = {
    "hashheader": ("#",),
    "quote": (">",),
    "table": ("|",),
    # Three or more of one of them, each at most two spaces from the next.
    "hr": tuple(mark + " " * gap + mark for mark in "-_*" for gap in range(3)),
    "setextheader": ("\n=", "\n-"),
    "footnote": ("]:",),
    "reference": ("]:",),
}


def _needing(needs: tuple[str, ...], test: Callable[[Element, str], bool]) -> Callable[[Element, str], bool]:
    if len(needs) == 1:
        (need,) = needs

        def test_one(parent: Element, block: str) -> bool:
            return need in block and test(parent, block)

        return test_one

    def test_any(parent: Element, block: str) -> bool:
        return any(map(block.__contains__, needs)) and test(parent, block)

    return test_any


def _take_processors_once(parser: BlockParser) -> None:
    """BlockParser.parseBlocks iterates over the registry of block processors for every
    block, and the registry makes a new list of them each time: here the list is taken
    once a document (the registry does not change while one is parsed)."""
    parse_document = parser.parseDocument
    taken: list[BlockProcessor] = []

    def parseDocument(lines: Iterable[str]) -> ElementTree:
        taken[:] = parser.blockprocessors
        return parse_document(lines)

    def parseBlocks(parent: Element, blocks: list[str]) -> None:
        # BlockParser.parseBlocks' own loop.
        while blocks:
            for processor in taken or parser.blockprocessors:
                if processor.test(parent, blocks[0]) and processor.run(parent, blocks) is not False:
                    break

    parser.parseDocument = parseDocument  # type: ignore[method-assign]
    parser.parseBlocks = parseBlocks  # type: ignore[method-assign]


class SkippingBlockExtension(Extension):
    """Put after the extensions whose block processors it lists."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        processors = md.parser.blockprocessors
        for name, needs in NEEDS.items():
            if name in processors:
                processor = processors[name]
                # Each processor takes only blocks with what it needs, and changes nothing a
                # block it does not take relies on: not asking is the same as a no.
                processor.test = _needing(needs, processor.test)  # type: ignore[method-assign,assignment]
        _take_processors_once(md.parser)
