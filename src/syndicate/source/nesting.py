"""How deep a post nests, measured before a parser sees it.

The parsers recurse once per level: libyaml's composer (C code, through
PyYAML) overflows the C stack and kills the process at some ten thousand
levels, tomllib and Python-Markdown raise RecursionError at a few hundred.
Each scan here is linear and stops at the first level past the limit.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_YAML_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_YAML_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def yaml_too_deep(raw: str, limit: int, loader: Any) -> int | None:
    """The line (counted from 0 in `raw`) where YAML collections first nest deeper than
    `limit`, or None. libyaml's event parser keeps its own stack, not the C stack's."""
    # Each list or mapping has a character of its own among these (its bracket, its first
    # "- ", its first "key:"): with fewer of them than the limit, no need to parse.
    if sum(map(raw.count, "[{-:?")) <= limit:
        return None
    depth = 0
    try:
        for event in yaml.parse(raw, Loader=loader):
            if isinstance(event, _YAML_OPEN):
                depth += 1
                if depth > limit:
                    return event.start_mark.line if event.start_mark else 0
            elif isinstance(event, _YAML_CLOSE):
                depth -= 1
    except yaml.YAMLError:
        return None  # the parser stops at the same place when it loads, and says why
    return None


# TOML's strings and comments, where nothing else means anything, then what nests and
# what separates. Outside a string every quote opens one; a multi-line string may end
# with up to five quotes. A string never closed ends with its line (its document, if
# multi-line), and tomllib then refuses it: tried as a string from each of its escaped
# quotes in turn, a line of 40 KB of them took seconds.
_TOML_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?(?:"{3,5}|\Z)|\'\'\'.*?(?:\'{3,5}|\Z)|"(?:[^"\\\n]|\\[^\n])*+"?|\'[^\'\n]*+\'?'
    r"|#[^\n]*|[\[\]{}=,.\n]",
    re.DOTALL,
)


def toml_too_deep(raw: str, limit: int) -> int | None:
    """The line (from 0) where TOML first nests deeper than `limit`, or None. The
    document is the first level; each part of a table header or a dotted key before the
    last is one more (`[a.b]` and `a.b = 1` make tables), each array or inline table one
    more. A key's own parts and the brackets of its value are checked one by one."""
    tables = 0  # levels the last table header opened
    brackets = 0  # arrays and inline tables open around here
    dots = 0  # parts of the key or header being read, after the first
    header = 0  # 1 inside a [table] header, 2 inside an [[array of tables]] header
    line_start = True
    for token in _TOML_TOKENS.finditer(raw):
        char = token.group()
        depth = 0
        if char == "\n":
            dots, line_start = 0, True
            continue
        if char == "." or char[0] in "\"'#":
            dots += char == "."
        elif char == "[" and (line_start or header == 1) and not brackets:
            header += 1
            dots = 0
        elif char == "]" and header:
            tables, header = dots + header, 0
            depth = 1 + tables
        elif char in "[{":
            brackets += 1
            dots = 0
            depth = 1 + tables + brackets
        elif char in "]}":
            brackets = max(0, brackets - 1)
        elif char == "=":
            depth, dots = 1 + tables + brackets + dots, 0
        else:  # ","
            dots = 0
        line_start = False
        if depth > limit:
            return raw.count("\n", 0, token.start())
    return None


# What opens a block inside a block in Markdown, a quote's '>' and a list item's marker,
# at the start of a line; and the fences of code, inside which nothing opens a block.
_MARKER = r"(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))[ \t]*"
# Each starts with its newline: searching for that is much faster than trying "^" everywhere.
_BLOCK_LINE = re.compile(rf"\n([ \t]*)(?:((?:{_MARKER})+)|(`{{3,}}|~{{3,}})(.*)$)", re.MULTILINE)
_MARKERS = re.compile(_MARKER)


def markdown_too_deep(body: str, limit: int) -> tuple[int, int] | None:
    """(the line from 0, the depth) where lists and quotes first nest deeper than `limit`,
    or None. Counts generously: a list item indented under another is one level deeper
    than it, and every marker opening a line is one more; fenced code is skipped. Only
    the lines that open a block or a fence are looked at."""
    open_items: list[tuple[int, int]] = []  # (indent, depth) of the list items and quotes
    fence = ""
    text = "\n" + body
    for line in _BLOCK_LINE.finditer(text):
        indent, markers, fenced, rest = line.groups()
        if fenced is not None:
            if not fence:
                fence = fenced
            elif fenced.startswith(fence) and not rest.strip():
                fence = ""
            continue
        if fence:
            continue
        width = len(indent.expandtabs(4))
        while open_items and open_items[-1][0] >= width:
            open_items.pop()
        depth = (open_items[-1][1] if open_items else 0) + len(_MARKERS.findall(markers))
        if depth > limit:
            return text.count("\n", 0, line.start()), depth
        open_items.append((width, depth))
    return None
