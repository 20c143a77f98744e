"""Three of Python-Markdown's whole-document passes, doing the same in less time.

- Normalizing whitespace empties lines of spaces with a regex that starts with a
  lookbehind, which Python's regex engine tries at every character of the post; the
  same substitution is written here without one.
- Unescaping runs a regex over every text, tail and attribute of the tree; only those
  holding the escape marker (STX) can change.
- The footnotes extension looks for its placeholder (where the notes go) by recursing
  through the tree, reading its setting again at every element; where no text or tail
  holds the placeholder it is not looked for.

The first two are registered as Python-Markdown's own are, under their names, replacing
them; the third wraps the footnotes extension's (public) method on the instance. Each
depends on what upstream's code does, not only on its names. Checked against
Python-Markdown 3.11.3 (CHECKED_AGAINST; constraints.txt pins it). The tests fail, saying
what to re-check, when another version is installed, when a pass is not called, when one
does other than upstream's on random input, and when a corpus of documents renders
differently from Python-Markdown's own passes.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

import markdown
from markdown import util
from markdown.extensions import Extension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.preprocessors import NormalizeWhitespace
from markdown.treeprocessors import UnescapeTreeprocessor

# The version these passes were checked against.
CHECKED_AGAINST = {"markdown": "3.11.3"}

# The same as NormalizeWhitespace's r"(?<=\n) +\n" -> "\n": spaces between two newlines go.
_BLANK_LINE = re.compile(r"\n +(?=\n)")


class FastNormalizeWhitespace(NormalizeWhitespace):
    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        source = source.replace(util.STX, "").replace(util.ETX, "")
        source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
        source = source.expandtabs(self.md.tab_length)
        source = _BLANK_LINE.sub("\n", source)
        return source.split("\n")


class FastUnescape(UnescapeTreeprocessor):
    def unescape(self, text: str) -> str:
        return super().unescape(text) if util.STX in text else text


def _look_only_where_it_is(footnotes: FootnoteExtension) -> None:
    find = footnotes.findFootnotesPlaceholder

    def findFootnotesPlaceholder(root: Element) -> tuple[Element, Element, bool] | None:
        marker = footnotes.getConfig("PLACE_MARKER")
        for element in root.iter():
            if (element.text and marker in element.text) or (element.tail and marker in element.tail):
                return find(root)
        return None

    footnotes.findFootnotesPlaceholder = findFootnotesPlaceholder  # type: ignore[method-assign]


class FastPassesExtension(Extension):
    """Put after the extensions whose passes it changes."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Same names and priorities as Python-Markdown's own, which they replace.
        md.preprocessors.register(FastNormalizeWhitespace(md), "normalize_whitespace", 30)
        md.treeprocessors.register(FastUnescape(md), "unescape", 0)
        for extension in md.registeredExtensions:
            if isinstance(extension, FootnoteExtension):
                _look_only_where_it_is(extension)
