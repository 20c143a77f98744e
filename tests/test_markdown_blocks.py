"""The block parser that skips tests a block cannot pass renders what Python-Markdown renders."""

from __future__ import annotations

import hashlib
import inspect
import random
from xml.etree.ElementTree import Element

import markdown
import pytest

from syndicate.markdown_blocks import NEEDS
from syndicate.render import MARKDOWN_EXTENSION_CONFIGS, MARKDOWN_EXTENSIONS, markdown_to_html

# Blocks each listed processor takes, or nearly takes.
SNIPPETS = [
    "# One\n\n## Two ##\n\n###### Six\n\n####### Seven is text\n\n#not a heading",
    "text\n# heading inside a block\nmore text",
    "> quote\n> more\n\n>no space\n\n   > indented three\n\n    > indented four is code",
    "para\n> a quote starting mid-block",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\na | b\n--|--\n1 | 2",
    "| single |\n| --- |\n| cell |\n\n| only a header |\n\nno pipes\n---|",
    "| a | b |\n|:-:|--:|\n| `|` | \\| |",
    "---\n\n- - -\n\n***\n\n* * *\n\n___\n\n_ _ _\n\n--\n\n-- -",
    "text\n---\n\ntext\n===\n\n- item\n- item\n\n1. one\n2. two",
    "- a list\n- with | a pipe\n    > and a quote\n    # and a heading",
    "中文段落，没有任何标记。\n第二行。\n\n另一段：数学 $x$ 和代码 `y`。",
    "Setext\n=\n\nnot setext\n =\n\nline\n- item after a line\n\nline\n-- two",
    'text[^1] and [ref] and [^2]\n\n[^1]: one\n[^2]: two\n    more\n\n[ref]: /url "Title"\n\n'
    "a [x]: not a definition mid-line\n[y]:\n/after-a-break\n\n[^3]:tight\n\n[t]:/tight",
]


@pytest.fixture(scope="module")
def stock() -> markdown.Markdown:
    return markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_EXTENSION_CONFIGS)


@pytest.mark.parametrize("body", SNIPPETS)
def test_blocks_render_as_python_markdown_does(stock: markdown.Markdown, body: str) -> None:
    stock.reset()
    assert markdown_to_html(body) == stock.convert(body)


# What NEEDS was checked against (Markdown 3.11.3, pymdown-extensions 12.3): each listed
# processor's test and regexes. A change to one may make it pass on blocks without its needs.
CHECKED_TESTS = "ed74a8361d25287ad1220f39b26654598fdfd014889d3b188b2ab31850562395"


def _checked(stock: markdown.Markdown) -> str:
    parts = []
    for name in sorted(NEEDS):
        processor = stock.parser.blockprocessors[name]
        regexes = [getattr(processor, attr, None) for attr in ("RE", "SEARCH_RE", "RE_END_BORDER")]
        regexes = [regex if isinstance(regex, str | None) else regex.pattern for regex in regexes]
        # The table's test splits the first rows into cells, so how it splits counts too.
        methods = [
            getattr(type(processor), method, None) for method in ("test", "run", "_split_row", "_split")
        ]
        sources = "".join(inspect.getsource(method) for method in methods if method is not None)
        parts.append(f"{name} {type(processor).__qualname__}\n{sources}{regexes}")
    return "\n".join(parts)


def test_the_block_tests_are_the_ones_needs_was_checked_against(stock: markdown.Markdown) -> None:
    checked = _checked(stock)
    digest = hashlib.sha256(checked.encode()).hexdigest()
    assert digest == CHECKED_TESTS, (
        "Python-Markdown's block tests changed: check each NEEDS entry against the test "
        f"below, then set CHECKED_TESTS to {digest}\n{checked}"
    )


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_a_block_test_never_passes_without_its_needs(stock: markdown.Markdown, name: str) -> None:
    processor = stock.parser.blockprocessors[name]
    needs = NEEDS[name]
    alphabet = [
        *"ab 中\n|#>-_*=:`$[]\\",
        "   ",
        "    ",
        "\n\n",
        "***",
        "* * *",
        "---",
        "___",
        "| a |",
        "# h",
        "> q",
        "[^1]:",
        "[r]:",
        " /u",
    ]
    chooser = random.Random(name)
    tried = 0
    while tried < 3000:
        block = "".join(chooser.choice(alphabet) for _ in range(chooser.randint(1, 30)))
        if any(need in block for need in needs):
            continue
        tried += 1
        blocks = [block]
        taken = processor.test(Element("div"), block) and processor.run(Element("div"), blocks) is not False
        assert not taken, f"{name} takes {block!r}"
        assert blocks == [block]
