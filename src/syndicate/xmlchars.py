"""Characters XML 1.0 forbids. Removed from every text on the way in, so no
output (feeds above all) can fail on them. Tab, newline and CR stay."""

import re

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_forbidden(text: str) -> str:
    return _FORBIDDEN.sub("", text)
