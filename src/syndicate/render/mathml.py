"""TeX math to MathML, on the server: formulas render in every current browser and in feed
readers that render HTML, with no script.

pymdownx.arithmatex (generic mode) has already found the math and left it as
`<span class="arithmatex">\\(…\\)</span>` (inline) and `<div class="arithmatex">\\[…\\]</div>`
(display), its TeX HTML-escaped; code spans and blocks never hold those elements, so math
in code stays code. Here each one becomes a `<math>` element made by latex2mathml. A formula
latex2mathml cannot convert (it raises, makes nothing, or passes a command it does not know
through as text) stays as its source, in an element of class `math-error`, and is reported.

latex2mathml's own serializer un-escapes its whole output, so `\\text{<b>}` would come out
as markup: the element tree it builds is written out here instead, every text escaped and
only the attributes in MATHML_ATTRIBUTES kept (no `href` from `\\href`, no `style` or
`class` from `\\style` and `\\class`). The sanitizer allows exactly these tags and attributes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from xml.etree.ElementTree import Element

from latex2mathml.converter import Converter

# What latex2mathml 3.81 emits, less what could link, style or name anything: per element,
# the attributes written out (and allowed by the sanitizer).
_PRESENTATION = frozenset({"displaystyle", "scriptlevel", "mathcolor", "mathbackground", "mathsize"})
MATHML_ATTRIBUTES: dict[str, frozenset[str]] = {
    "math": frozenset({"xmlns", "display"}),
    "mrow": frozenset(),
    "mi": frozenset({"mathvariant"}),
    "mn": frozenset({"mathvariant"}),
    "mo": frozenset(
        {"accent", "fence", "form", "largeop", "lspace", "rspace", "mathvariant", "maxsize", "minsize"}
        | {"movablelimits", "separator", "stretchy", "symmetric"}
    ),
    "mtext": frozenset({"mathvariant"}),
    "mspace": frozenset({"width", "height", "depth", "linebreak", "mathbackground"}),
    "mstyle": _PRESENTATION,
    "mpadded": frozenset({"width", "height", "depth", "lspace", "voffset", "mathbackground"}),
    "mphantom": frozenset(),
    "mfrac": frozenset({"linethickness"}),
    "msqrt": frozenset(),
    "mroot": frozenset(),
    "msub": frozenset(),
    "msup": frozenset(),
    "msubsup": frozenset(),
    "munder": frozenset({"accentunder"}),
    "mover": frozenset({"accent"}),
    "munderover": frozenset({"accent", "accentunder"}),
    "mtable": frozenset(
        {"columnalign", "columnlines", "columnspacing", "displaystyle", "rowlines", "rowspacing"}
    ),
    "mtr": frozenset(),
    "mtd": frozenset({"columnalign", "columnspan", "rowspan"}),
    "menclose": frozenset({"notation"}),
}

# Arithmatex's elements: their text holds no "<" (it is escaped), so it ends at the first one.
_ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">([^<]*)</\1>')
_CHARACTER_REFERENCE = re.compile(r"&#(?:x([0-9A-Fa-f]+)|([0-9]+));")
# latex2mathml writes a command it does not know as an identifier of its name.
_UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]+")
_WRAPPERS = frozenset({"math", "mrow"})
# How many children each element that takes a fixed number must have: latex2mathml makes an
# `<mfrac>` of one for `\\frac{a}`, which browsers show as nothing or as an error.
_ARITY = {
    "mfrac": 2,
    "msub": 2,
    "msup": 2,
    "mroot": 2,
    "munder": 2,
    "mover": 2,
    "msubsup": 3,
    "munderover": 3,
}
_UPRIGHT = {"mathvariant": "normal"}
_LATIN_REFERENCE = re.compile(r"&#x0*(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]);", re.IGNORECASE)
# How much of a formula a warning quotes.
_QUOTED = 80


class MathError(ValueError):
    """Why a formula cannot be converted."""


@dataclass(frozen=True)
class MathResult:
    html: str
    # One line for each formula left as its source: the formula, and why.
    errors: tuple[str, ...]


def math_to_mathml(page: str) -> MathResult:
    """`page` (Python-Markdown's HTML) with each arithmatex formula made MathML."""
    if 'class="arithmatex"' not in page:
        return MathResult(page, ())
    errors: list[str] = []

    def replace(match: re.Match[str]) -> str:
        tag, escaped = match.group(1), match.group(2)
        opening, closing = ("\\[", "\\]") if tag == "div" else ("\\(", "\\)")
        if not (escaped.startswith(opening) and escaped.endswith(closing)):
            return match.group(0)  # not arithmatex's own (raw HTML of that look): left alone
        tex = html.unescape(escaped[2:-2])
        try:
            return tex_to_mathml(tex, block=tag == "div")
        except MathError as exc:
            errors.append(f"{_quote(tex) or html.unescape(escaped)} ({exc})")
            shown = "pre" if tag == "div" else "span"  # a display formula keeps its lines
            return f'<{shown} class="math-error">{escaped}</{shown}>'

    converted = _ARITHMATEX.sub(replace, page)
    return MathResult(converted, tuple(dict.fromkeys(errors)))


@lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, block: bool) -> str:
    """One formula as a `<math>` element; MathError if latex2mathml cannot convert it.
    Each is converted on its own: a `\\newcommand` holds for its formula only."""
    if not tex.strip():
        raise MathError("it is empty")
    try:
        math = Converter(display="block" if block else "inline").convert_to_element(tex)
    except Exception as exc:  # it raises many kinds, StopIteration and IndexError among them
        raise MathError(_reason(exc)) from None
    parts: list[str] = []
    try:
        _check(math)
        _write(math, parts)
    except RecursionError:  # a tree nested nearly as deep as latex2mathml could go
        raise MathError("it nests too deeply") from None
    return "".join(parts)


def _check(math: Element) -> None:
    anything = False
    for element in math.iter():
        text = (element.text or "").strip()
        if element.tag in ("mi", "mo", "mn") and _UNKNOWN_COMMAND.fullmatch(text):
            raise MathError(f"unknown command {text}")
        needed = _ARITY.get(element.tag)
        if needed is not None and len(element) != needed:
            raise MathError(f"incomplete: <{element.tag}> of {len(element)} parts, not {needed}")
        anything = anything or bool(text) or element.tag not in _WRAPPERS
    if not anything:
        raise MathError("it makes nothing")


def _write(element: Element, parts: list[str]) -> None:
    tag = element.tag
    allowed = MATHML_ATTRIBUTES.get(tag)
    if allowed is None:  # an element this module was not checked against: its content only
        parts.append(_text(element.text))
        for child in element:
            _write(child, parts)
    else:
        attrib = element.attrib
        if tag == "mi" and not attrib and _LATIN_REFERENCE.fullmatch(element.text or ""):
            attrib = _UPRIGHT  # `\\mathrm{d}`: latex2mathml names the letter but drops the variant
        attributes = "".join(
            f' {name}="{html.escape(value)}"' for name, value in sorted(attrib.items()) if name in allowed
        )
        parts.append(f"<{tag}{attributes}>{_text(element.text)}")
        if len(element):
            for child in _words(element):
                _write(child, parts)
        parts.append(f"</{tag}>")
    if element.tail:
        parts.append(_text(element.tail))


def _words(element: Element) -> Iterator[Element]:
    """The element's children, each run of upright letters made one identifier: latex2mathml
    makes `\\mathrm{softmax}` seven, which a screen reader spells out."""
    run: list[Element] = []
    for child in element:
        if _upright_letter(child):
            run.append(child)
            continue
        yield from _joined(run)
        run = []
        yield child
    yield from _joined(run)


def _upright_letter(element: Element) -> bool:
    text = element.text
    return (
        element.tag == "mi"
        and element.attrib == _UPRIGHT
        and len(element) == 0
        and not element.tail
        and text is not None
        and len(text) == 1
        and text.isalpha()
    )


def _joined(run: list[Element]) -> list[Element]:
    if len(run) < 2:
        return run
    word = Element("mi", _UPRIGHT)
    word.text = "".join(letter.text or "" for letter in run)
    return [word]


def _text(text: str | None) -> str:
    """Text as latex2mathml leaves it (symbols as character references, the author's text as
    it is), escaped."""
    if not text:
        return ""
    if "&" in text:
        text = _CHARACTER_REFERENCE.sub(_character, text)
    return html.escape(text, quote=False)


def _character(match: re.Match[str]) -> str:
    hexadecimal, decimal = match.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group(0)
    return chr(code)


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    text = " ".join(str(exc).split())[:_QUOTED]
    return f"latex2mathml: {name}: {text}" if text else f"latex2mathml: {name}"


def _quote(tex: str) -> str:
    text = " ".join(tex.split())
    return text if len(text) <= _QUOTED else text[:_QUOTED] + "…"
