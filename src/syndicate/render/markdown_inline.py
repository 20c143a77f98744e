"""Python-Markdown's inline pass, without trying patterns that cannot match.

Python-Markdown runs every inline pattern (code, math, links, emphasis, ...) over every
piece of text, one after the other. Most text in a post (table cells, list items, plain
paragraphs) holds none of the characters any pattern starts with, and that pass was a
third of all rendering time. Here a pattern is only tried on text that contains what it
needs: a backtick for code, a "[" for a link; and its regex is run from the first
character a match can start with. The HTML is the same, byte for byte.

This hooks a private part of Python-Markdown: InlineProcessor's per-text loop,
`__handleInline` (name-mangled, so overridden as `_InlineProcessor__handleInline`), which
calls the private `__applyPattern` as upstream's loop does. Python-Markdown has no public
extension point for that loop. The public one nearest to it, each pattern's
`getCompiledRegExp()` returning a stand-in that skips text without the pattern's needs,
gives the same HTML but leaves the loop calling all 16 patterns on every text: rendering
the 500 posts of bench/gen_store.py's site took a third longer than with this override
(1.15 s against 0.86 s, median of 15 runs).

Checked against Python-Markdown 3.11.3 and pymdown-extensions 12.3 (CHECKED_AGAINST;
constraints.txt pins both). The tests fail, saying what to re-check, when another version
is installed, when the override is not called, when the patterns' regexes change, and when
a corpus of documents renders differently from Python-Markdown's own loop.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

import markdown
from markdown import util
from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor

# The versions this module's override and tables were checked against.
CHECKED_AGAINST = {"markdown": "3.11.3", "pymdown-extensions": "12.3"}

# For each inline pattern of our extensions: strings of which at least one must appear in a
# text for the pattern to match there. A pattern missing from this table is always tried.
NEEDS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "arithmatex-inline": ("$", "\\("),
    "escape": ("\\",),
    "footnote": ("[^",),
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_reference": ("[",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "linebreak": ("  \n",),
    "html": ("<",),
    "entity": ("&",),
    "em_strong": ("*", "_"),
}
# For each inline pattern: the characters a match can start with. A pattern's regex is run
# from the first of them on, not from where the last match ended: Python's regex engine
# tries every position of the text for a pattern that starts with a lookbehind, and that
# made arithmatex's pattern alone a sixth of all Markdown's time. A pattern missing from
# this table is run from where the last match ended.
STARTS: dict[str, str] = {
    "backtick": "`\\",
    "arithmatex-inline": "$\\",
    "escape": "\\",
    "footnote": "[",
    "reference": "[",
    "link": "[",
    "image_link": "!",
    "image_reference": "!",
    "short_reference": "[",
    "short_image_ref": "!",
    "autolink": "<",
    "automail": "<",
    "linebreak": " ",
    "html": "<",
    "entity": "&",
    "em_strong": "*_",
}
# Text without any of these is left as it is without trying a single pattern (while every
# pattern is in the table).
_ANY_NEED = re.compile("|".join(sorted({re.escape(need) for needs in NEEDS.values() for need in needs})))


class SkippingInlineProcessor(InlineProcessor):
    """InlineProcessor whose per-text loop skips the patterns a text cannot match."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self._needs: list[tuple[str, ...] | None] = []
        self._starts: list[str | None] = []
        self._all_listed = False
        self._patterns: tuple[object, ...] = ()  # the patterns the tables were made for, in order
        self._need_strings = tuple(sorted({need for needs in NEEDS.values() for need in needs}))
        # (which need strings a text has, the first pattern to try) -> the patterns to try
        self._candidates: dict[tuple[tuple[bool, ...], int], tuple[int, ...]] = {}

    def run(self, tree: Element, ancestors: list[str] | None = None) -> Element:
        patterns = tuple(self.inlinePatterns)
        if patterns != self._patterns:  # the first time, or the registry changed
            index = {id(pattern): number for number, pattern in enumerate(patterns)}
            self._needs = [None] * len(patterns)
            for name, needs in NEEDS.items():
                if name in self.inlinePatterns:
                    self._needs[index[id(self.inlinePatterns[name])]] = needs
            self._starts = [None] * len(patterns)
            for name, starts in STARTS.items():
                if name in self.inlinePatterns:
                    self._starts[index[id(self.inlinePatterns[name])]] = starts
            self._all_listed = None not in self._needs
            self._patterns = patterns
            self._candidates = {}
        return super().run(tree, ancestors)

    # Replaces InlineProcessor.__handleInline (name-mangled, hence the spelling): the same
    # patterns are tried in the same order from the same places, less those that cannot match.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, util.AtomicString) or (self._all_listed and not _ANY_NEED.search(data)):
            return data
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        for index in self._candidates_for(data, patternIndex):
            needs, starts, pattern = self._needs[index], self._starts[index], self._patterns[index]
            start, matched = 0, True
            # A pattern that matched is tried again after its match, until it finds no more.
            while matched:
                if needs is not None and not any(map(data.__contains__, needs)):
                    break  # an earlier match took what it needs
                first = _first_of(starts, data, start)
                if first < 0:
                    break
                data, matched, start = apply(pattern, data, index, first)
        return data

    def _candidates_for(self, data: str, first: int) -> tuple[int, ...]:
        """The patterns from `first` on that `data` has what they need for. A match only
        replaces text with a placeholder, which holds none of what a pattern needs: a
        pattern that cannot match a text now cannot match it later either."""
        present = tuple(map(data.__contains__, self._need_strings))
        candidates = self._candidates.get((present, first))
        if candidates is None:
            have = {need for need, there in zip(self._need_strings, present, strict=True) if there}
            candidates = tuple(
                index
                for index in range(first, len(self._needs))
                if (needs := self._needs[index]) is None or any(need in have for need in needs)
            )
            self._candidates[(present, first)] = candidates
        return candidates


def _first_of(characters: str | None, text: str, start: int) -> int:
    """Where the first of `characters` is in `text` from `start` on, -1 if none is there;
    `start` itself when there are no characters to look for."""
    if characters is None:
        return start
    if len(characters) == 1:
        return text.find(characters, start)
    found = [at for character in characters if (at := text.find(character, start)) >= 0]
    return min(found, default=-1)


class SkippingInlineExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Same name and priority as Python-Markdown's own, which it replaces.
        md.treeprocessors.register(SkippingInlineProcessor(md), "inline", 20)
