"""The characters no field may hold (syndicate.xmlchars)."""

from __future__ import annotations

from syndicate.xmlchars import describe_char, strip_forbidden, strip_unfit, unfit_char

UNFIT = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), *range(0xFDD0, 0xFDF0)]


def test_every_character_is_judged_alike_alone_and_within_plain_text() -> None:
    # Plain ASCII takes a shortcut past the search: it must agree with it everywhere.
    unfit = {*map(chr, UNFIT), *(chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF))}
    for code in range(0x10000):
        char = chr(code)
        expected = char if char in unfit or 0xD800 <= code <= 0xDFFF else None
        assert unfit_char(char) == expected, hex(code)
        assert unfit_char(f"plain text {char} more") == expected, hex(code)
    for char in sorted(unfit):
        assert unfit_char(f"a{char}") == char, hex(ord(char))
    assert unfit_char("tab\tnewline\ncr\r") is None


def test_descriptions_and_what_xml_forbids() -> None:
    assert describe_char("\x01") == "U+0001 (a control character)"
    assert strip_forbidden("a\x00b\x7fc\td") == "ab\x7fc\td"  # XML allows DEL; fields do not


def test_strip_unfit_leaves_what_a_field_may_hold() -> None:
    text = "".join(map(chr, UNFIT)) + "keep\ttabs\nand 中文 \ud800\ufffe ~"
    assert strip_unfit(text) == "keep\ttabs\nand 中文  ~"
    assert strip_unfit("plain") == "plain"
