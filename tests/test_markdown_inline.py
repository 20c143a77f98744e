"""The inline pass that skips patterns a text cannot match renders what Python-Markdown renders."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path
from xml.etree.ElementTree import Element

import markdown
import pytest
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from syndicate import frontmatter
from syndicate.markdown_inline import NEEDS, STARTS, SkippingInlineExtension
from syndicate.render import MARKDOWN_EXTENSION_CONFIGS, MARKDOWN_EXTENSIONS, markdown_to_html

EXAMPLE_POSTS = sorted((Path(__file__).parents[1] / "examples" / "site" / "content").rglob("*.md"))

# Inline Markdown where the order patterns are tried in matters: a pattern that matches,
# then one the text no longer has a reason to try, then one it does.
SNIPPETS = [
    "plain words, 中文的句子，no markup at all",
    "`code` then $x^2$ then **bold**",
    "$a$ and `b` and $c$ and `d`",
    "**bold `code` $m$ and [link](https://e.example/a_b) _em_**",
    "a \\`not code\\` and \\$not math\\$ and \\*not em\\*",
    "price $5 and $10, not math",
    "math \\(x + y\\) inline and \\\\(escaped\\\\)",
    "a footnote[^1] and [a ref][r] and [r] and ![img](/i.png) and ![alt][r]\n\n"
    "[^1]: the note with `code`\n\n[r]: https://e.example/r",
    "<https://e.example/auto> and <me@e.example> and <span>html</span> &amp; &copy; &#169; & alone",
    "line one  \nline two, after a hard break",
    "***strong em*** __strong__ *em* _em_ snake_case_word 2*3*4",
    "| a | `b` | $c$ |\n|---|---|---|\n| 1 | **2** | 3 |\n| x_y | [l](/l) | plain |",
    "# Heading with `code` and $m$\n\ntext\n\n## Heading *em*",
    "- item `one`\n- item two\n    - nested $x$\n- [link](/x)",
    "> quote with **bold** and `code`\n>\n> plain quote",
    "```python\nx = `not inline` $ * _\n```\n\nafter the fence *em*",
    "[link with `code` and *em*](/u) then `after`",
    "***",
    "unclosed `backtick and unclosed $dollar and unclosed **bold and [bracket",
]


@pytest.fixture(scope="module")
def stock() -> markdown.Markdown:
    return markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_EXTENSION_CONFIGS)


def stock_html(converter: markdown.Markdown, body: str) -> str:
    converter.reset()
    return converter.convert(body)


@pytest.mark.parametrize("body", SNIPPETS)
def test_inline_markdown_renders_as_python_markdown_does(stock: markdown.Markdown, body: str) -> None:
    assert markdown_to_html(body) == stock_html(stock, body)


@pytest.mark.parametrize("path", EXAMPLE_POSTS, ids=lambda path: path.name)
def test_example_posts_render_as_python_markdown_does(stock: markdown.Markdown, path: Path) -> None:
    body = frontmatter.body_of(path.read_bytes())
    assert markdown_to_html(body) == stock_html(stock, body)


# The regexes NEEDS and STARTS were checked against (Markdown 3.11.3, pymdown-extensions 12.3). A
# pattern can change without changing its name: an extension adding "~" to em_strong's
# delimiters, or an arithmatex option, would make its entry skip text it now matches.
CHECKED_PATTERNS = "f805007fb24f03d8f4121b1cd472d59332992e1e32a550a0ec34b2bf6aa161f0"


def test_the_inline_patterns_are_the_ones_needs_was_checked_against(stock: markdown.Markdown) -> None:
    names = sorted(item.name for item in stock.inlinePatterns._priority)
    patterns = "\n".join(f"{name} {stock.inlinePatterns[name].compiled_re.pattern}" for name in names)
    digest = hashlib.sha256(patterns.encode()).hexdigest()
    assert digest == CHECKED_PATTERNS, (
        "Python-Markdown's inline patterns changed: check each NEEDS and STARTS entry against its regex "
        f"below, then set CHECKED_PATTERNS to {digest}\n{patterns}"
    )


def test_every_inline_pattern_has_its_needs_and_starts_listed(stock: markdown.Markdown) -> None:
    # A new extension's pattern would still be tried everywhere (the safe default), but
    # it would go unnoticed: list it, or decide it has no needs.
    assert {item.name for item in stock.inlinePatterns._priority} == set(NEEDS) == set(STARTS)


class Shout(InlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Element, int, int]:
        element = Element("strong")
        element.text = m.group(1).upper()
        return element, m.start(0), m.end(0)


class ShoutExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.inlinePatterns.register(Shout(r"%%(.+?)%%"), "shout", 5)


def test_a_pattern_not_listed_is_tried_on_every_text() -> None:
    converter = markdown.Markdown(extensions=[ShoutExtension(), SkippingInlineExtension()])
    assert converter.convert("plain %%loud%% words") == "<p>plain <strong>LOUD</strong> words</p>"


def test_a_pattern_registered_after_a_conversion_is_tried_too() -> None:
    converter = markdown.Markdown(extensions=[SkippingInlineExtension()])
    assert converter.convert("plain %%loud%% *words*") == "<p>plain %%loud%% <em>words</em></p>"
    ShoutExtension().extendMarkdown(converter)
    converter.reset()
    assert converter.convert("plain %%loud%% *words*") == "<p>plain <strong>LOUD</strong> <em>words</em></p>"


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_a_pattern_never_matches_text_without_its_needs(stock: markdown.Markdown, name: str) -> None:
    pattern: re.Pattern[str] = stock.inlinePatterns[name].compiled_re
    needs = NEEDS[name]
    alphabet = [*"ab 中\n\\`$[]()!<>@&;#*_^:/.-=\"'", "  \n", "http://", "\x02", "\x03"]
    chooser = random.Random(name)
    tried = 0
    while tried < 3000:
        text = "".join(chooser.choice(alphabet) for _ in range(chooser.randint(1, 24)))
        if any(need in text for need in needs):
            continue
        tried += 1
        assert pattern.search(text) is None, f"{name} matches {text!r}"


@pytest.mark.parametrize("name", sorted(STARTS))
def test_a_match_starts_with_one_of_its_starts(stock: markdown.Markdown, name: str) -> None:
    pattern: re.Pattern[str] = stock.inlinePatterns[name].compiled_re
    alphabet = [*"ab 中\n\\`$[]()!<>@&;#*_^:/.-=\"'", "  \n", "http://", "\x02", "\x03", "\\\\", "\\("]
    chooser = random.Random(name)
    matches = 0
    for _ in range(3000):
        text = "".join(chooser.choice(alphabet) for _ in range(chooser.randint(1, 24)))
        for start in range(len(text)):
            for match in pattern.finditer(text, start):
                matches += 1
                assert text[match.start()] in STARTS[name], f"{name} matches {text!r} at {match.start()}"
    assert matches  # the alphabet can make it match at all
