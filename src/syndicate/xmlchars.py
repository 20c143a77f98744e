"""Characters XML 1.0 forbids. Removed from every text on the way in, so no
output (feeds above all) can fail on them. Tab, newline and CR stay.

Front matter fields are held to more: see `unfit_char`."""

import re

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# What no field may hold: what XML forbids, DEL and the C1 controls (which XML 1.0 allows
# but HTML calls errors and no reader shows), and every Unicode non-character.
_NONCHARACTERS = "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
_UNFIT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}]")


def strip_forbidden(text: str) -> str:
    return _FORBIDDEN.sub("", text)


def unfit_char(text: str) -> str | None:
    """The first character of `text` that no field may hold, or None. Tab, newline and
    CR are whitespace, and fine."""
    if text.isascii() and text.isprintable():  # most names and fields, 8 times faster than the search
        return None
    match = _UNFIT.search(text)
    return match.group() if match else None


def strip_unfit(text: str) -> str:
    """`text` without the characters no field may hold."""
    return text if unfit_char(text) is None else _UNFIT.sub("", text)


def escape_unfit(text: str) -> str:
    """`text` with each character no field may hold written as its escape, `\\x01`: a path
    in a problem line that cannot carry a terminal's control codes."""
    return _UNFIT.sub(lambda match: repr(match.group())[1:-1], text)


def describe_char(char: str) -> str:
    """`U+0001 (a control character)`."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        kind = "a lone surrogate, not a character"
    elif code < 0x20 or 0x7F <= code <= 0x9F:
        kind = "a control character"
    else:
        kind = "a Unicode non-character"
    return f"U+{code:04X} ({kind})"
