"""The plain-text preview of a post: the summary on the latest-updates page and in the feeds.

The text comes from the author's summary if there is one, else from the rendered HTML up to
`<!--more-->`. Code blocks and display math become placeholders; the text is cut to a number
of grapheme clusters, only where a cut cannot split a word, a number or a token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import chain

import regex

_GRAPHEME = regex.compile(r"\X")
# Characters that may form one grapheme with a neighbour (combining marks, joiners, Hangul
# jamo, regional indicators, CR and LF, ...): every other character is a grapheme of its own.
_JOINING = regex.compile(r"\P{Grapheme_Cluster_Break=Other}")
_WHITESPACE = regex.compile(r"\s+")
# A cut may fall next to any of these. The kana blocks are listed as ranges too because the
# prolonged sound mark "ー" belongs to no script.
_CUTTABLE = regex.compile(
    r"[\s\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u3000-\u303f\u3040-\u30ff\uff00-\uffef"
    r"\p{So}\p{Extended_Pictographic}]"
)

_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_DROPPED = frozenset({"script", "style", "template"})
# Wrappers Pygments-based highlighters put around a code block (file name, line numbers, code).
_CODE_CLASSES = frozenset({"highlight", "codehilite", "highlighttable", "codehilitetable"})
_FOOTNOTE_CLASSES = frozenset({"footnote", "footnotes"})


@dataclass(frozen=True)
class _Atom:
    """A placeholder: never cut, and as wide as its own grapheme count."""

    text: str
    width: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", len(_graphemes(self.text)))


_Segment = str | _Atom


def make_excerpt(
    html: str,
    *,
    summary: str | None,
    length: int,
    ellipsis: str,
    code_placeholder: str,
    math_placeholder: str,
) -> str:
    """Plain text of at most `length` grapheme clusters, plus `ellipsis` if it was cut."""
    if length < 1:
        raise ValueError(f"excerpt length must be positive, got {length}")
    if summary is not None and summary.strip():
        units, whole = _units(_fold([summary]), length)
    else:
        units, whole = _extract(html, length, _Atom(code_placeholder), _Atom(math_placeholder))
    if whole:
        return _join(units)
    return _cut(units) + ellipsis


def plain_text(html: str) -> str:
    """All the text of an HTML fragment, by the excerpt's rules, with code blocks and
    display math left out and nothing cut."""
    parser = _TextParser(_Atom(""), _Atom(""), until_more=False)
    parser.feed(html)
    parser.close()
    return "".join(part for part in _fold(parser.parts) if isinstance(part, str))


def _extract(html: str, length: int, code: _Atom, math: _Atom) -> tuple[list[_Segment], bool]:
    """The units of the HTML's text, as `_units` gives them."""
    parser = _TextParser(code, math)
    start, size = 0, _first_chunk(length)
    while start < len(html) and not parser.done:
        parser.feed(html[start : start + size])
        start, size = start + size, size * 2
        units, whole = _units(_fold(parser.parts), length)
        if not whole:
            return units, whole
    parser.close()
    return _units(_fold(parser.parts), length)


def _first_chunk(length: int) -> int:
    """How much HTML the parser is fed first, then twice as much each round, until it has
    enough text: most posts are much longer than their excerpt, and parsing is the expensive
    part. Markup takes room too, so twice the length: enough for every post of the
    benchmark's site and most of the example site's (the next round covers three times as
    much), where a fixed 2 KB made the excerpt take three times as long."""
    return 2 * length


def _fold(parts: Iterable[_Segment]) -> list[_Segment]:
    """Join adjacent text, fold whitespace to single spaces and trim the ends.

    The result alternates text and placeholders, and starts and ends with text.
    """
    texts: list[list[str]] = [[]]
    atoms: list[_Atom] = []
    for part in parts:
        if isinstance(part, str):
            texts[-1].append(part)
        elif part.text:
            atoms.append(part)
            texts.append([])
    folded = [_WHITESPACE.sub(" ", "".join(text)) for text in texts]
    folded[0] = folded[0].lstrip(" ")
    folded[-1] = folded[-1].rstrip(" ")
    # One text more than there are placeholders: the last one is added after the pairs.
    return [*chain.from_iterable(zip(folded, atoms, strict=False)), folded[-1]]


def _units(segments: Iterable[_Segment], length: int) -> tuple[list[_Segment], bool]:
    """Split into graphemes and placeholders, stopping at the first unit that makes the total
    wider than `length`. The flag says whether everything fit."""
    units: list[_Segment] = []
    width = 0
    for segment in segments:
        if isinstance(segment, _Atom):
            units.append(segment)
            width += segment.width
            if width > length:
                return units, False
            continue
        graphemes = _graphemes(segment)
        room = length - width  # graphemes that still fit
        if len(graphemes) > room:
            units += graphemes[: room + 1]
            return units, False
        units += graphemes
        width += len(graphemes)
    return units, True


def _graphemes(text: str) -> list[str]:
    """`text`'s grapheme clusters, as `\\X` finds them; much faster where, as in most text,
    each character is one. Up to the one before the first joining character, each is."""
    joining = _JOINING.search(text)
    if joining is None:
        return list(text)
    simple = max(joining.start() - 1, 0)
    return [*text[:simple], *_GRAPHEME.findall(text[simple:])]


def _cut(units: Sequence[_Segment]) -> str:
    """Only the last of `units` goes past the length, so a cut may go anywhere before it: take
    the last position where a cut is allowed, else cut hard before the last unit."""
    hard = len(units) - 1
    end = next((i for i in range(hard, 0, -1) if _cuttable(units[i - 1]) or _cuttable(units[i])), hard)
    return _join(units[:end]).rstrip()


def _cuttable(unit: _Segment) -> bool:
    return isinstance(unit, _Atom) or _CUTTABLE.match(unit) is not None


def _join(units: Iterable[_Segment]) -> str:
    return "".join([unit if isinstance(unit, str) else unit.text for unit in units])


class _TextParser(HTMLParser):
    """Collects the text of rendered Markdown into `parts`, placeholders included."""

    def __init__(self, code: _Atom, math: _Atom, until_more: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[_Segment] = []
        self.done = False  # reached <!--more-->
        self._until_more = until_more
        self._code = code
        self._math = math
        # The element whose content is being dropped (or collected as inline TeX), and how
        # many elements of that name are open, so nested ones do not end it early.
        self._skipping: str | None = None
        self._depth = 0
        self._tex: list[str] | None = None

    def updatepos(self, i: int, j: int) -> int:
        return j  # the line and column of each piece are never asked for: no need to count

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if self._skipping is not None:
            if tag == self._skipping:
                self._depth += 1
            return
        if tag in _BLOCK:
            self.parts.append(" ")
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if tag == "pre" or (tag in ("div", "table") and classes & _CODE_CLASSES):
            self._skip(tag, self._code)
        elif "arithmatex" in classes:
            if tag == "span":
                self._skip(tag)
                self._tex = []
            else:
                self._skip(tag, self._math)
        elif tag == "math" and attributes.get("display") == "block":
            self._skip(tag, self._math)  # MathML already (raw HTML, an imported feed's)
        elif (
            tag in _DROPPED
            or (tag == "sup" and (attributes.get("id") or "").startswith("fnref"))
            or "footnote-ref" in classes
            or (tag in ("div", "section") and classes & _FOOTNOTE_CLASSES)
        ):
            self._skip(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.done:
            return
        if self._skipping is not None:
            if tag != self._skipping:
                return
            self._depth -= 1
            if self._depth:
                return
            self._skipping = None
            if self._tex is not None:
                self.parts.append(_strip_delimiters("".join(self._tex)))
                self._tex = None
        if tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.done:
            return
        if self._tex is not None:
            self._tex.append(data)
        elif self._skipping is None:
            self.parts.append(data)

    def handle_comment(self, data: str) -> None:
        if self._until_more and data.strip().lower() == "more":
            self.done = True

    def _skip(self, tag: str, placeholder: _Atom | None = None) -> None:
        self._skipping, self._depth = tag, 1
        if placeholder is not None:
            self.parts += [" ", placeholder, " "]


def _strip_delimiters(tex: str) -> str:
    tex = tex.strip()
    if tex.startswith("\\(") and tex.endswith("\\)"):
        tex = tex[2:-2].strip()
    return tex
