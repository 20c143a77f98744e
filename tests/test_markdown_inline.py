"""The inline pass that skips patterns a text cannot match renders what Python-Markdown renders."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import Element

import markdown
import markdown_corpus
import pytest
from markdown import util
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor as InlinePattern
from markdown.treeprocessors import InlineProcessor
from markdown_corpus import (
    CORPUS,
    EXAMPLE_BODIES,
    EXAMPLE_POSTS,
    check_versions,
    convert,
    differences,
    installed,
    random_documents,
    same_html_message,
    with_hook,
)

from syndicate.render import markdown_blocks, markdown_inline, markdown_passes, markdown_toc
from syndicate.render import renderer as render
from syndicate.render.markdown_inline import NEEDS, STARTS, SkippingInlineExtension, SkippingInlineProcessor
from syndicate.render.renderer import markdown_to_html
from syndicate.source import frontmatter

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
    return markdown_corpus.stock()


@pytest.mark.parametrize("body", SNIPPETS)
def test_inline_markdown_renders_as_python_markdown_does(stock: markdown.Markdown, body: str) -> None:
    assert markdown_to_html(body) == convert(stock, body)


@pytest.mark.parametrize("path", EXAMPLE_POSTS, ids=lambda path: path.name)
def test_example_posts_render_as_python_markdown_does(stock: markdown.Markdown, path: Path) -> None:
    body = frontmatter.body_of(path.read_bytes())
    assert markdown_to_html(body) == convert(stock, body)


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


class Shout(InlinePattern):
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


# The override of a private, name-mangled method of Python-Markdown (see markdown_inline's
# docstring): what follows fails, saying what to re-check, when Python-Markdown changes.

BODIES = [*SNIPPETS, *CORPUS, *EXAMPLE_BODIES, *random_documents(1, 300)]
UPSTREAM = "InlineProcessor's loop (__handleInline and __applyPattern in markdown/treeprocessors.py)"


def test_the_override_was_checked_against_the_markdown_installed_and_pinned() -> None:
    check_versions(markdown_inline)


def test_python_markdown_calls_the_override_which_skips_what_cannot_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("_InlineProcessor__handleInline", "_InlineProcessor__applyPattern"):
        assert name in vars(InlineProcessor), (
            f"Python-Markdown's InlineProcessor has no {name[16:]} any more ({installed()}): "
            f"markdown_inline.py overrides {UPSTREAM}; rewrite it against the new code"
        )
    calls = {"ours": 0, "patterns tried": 0}
    handle = SkippingInlineProcessor._InlineProcessor__handleInline
    apply = InlineProcessor._InlineProcessor__applyPattern  # type: ignore[attr-defined]

    def counting_handle(self: SkippingInlineProcessor, data: str, patternIndex: int = 0) -> str:
        calls["ours"] += 1
        return handle(self, data, patternIndex)

    def counting_apply(self: InlineProcessor, *args: object) -> object:
        calls["patterns tried"] += 1
        return apply(self, *args)

    monkeypatch.setattr(SkippingInlineProcessor, "_InlineProcessor__handleInline", counting_handle)
    monkeypatch.setattr(InlineProcessor, "_InlineProcessor__applyPattern", counting_apply)
    monkeypatch.setattr(render._local, "markdown", None, raising=False)  # made anew as render.py makes it
    assert markdown_to_html("plain words\n\n- more plain words") == (
        "<p>plain words</p>\n<ul>\n<li>more plain words</li>\n</ul>"
    )
    assert calls["ours"] >= 2, (
        f"Python-Markdown's InlineProcessor.run ({installed()}) no longer calls __handleInline, "
        f"which markdown_inline.py overrides: the override is dead code. Re-check it against {UPSTREAM}"
    )
    assert calls["patterns tried"] == 0, (
        "markdown_inline.py's override tried patterns on text none of them can match: its NEEDS "
        "table is not in effect (are the patterns' names in render.py's converter those it lists?)"
    )
    assert markdown_to_html("some *em* words") == "<p>some <em>em</em> words</p>"
    assert calls["patterns tried"] == 1  # em_strong, once: no other pattern needs what is there


def test_the_override_renders_what_python_markdowns_own_loop_renders() -> None:
    converter = with_hook(SkippingInlineExtension())
    found = differences(lambda body: convert(converter, body), BODIES)
    assert not found, same_html_message(
        markdown_inline, f"{UPSTREAM} or an inline pattern", found, len(BODIES)
    )


def test_all_hooks_together_render_what_python_markdown_renders() -> None:
    found = differences(markdown_to_html, BODIES)
    hooks = [markdown_inline, markdown_blocks, markdown_passes, markdown_toc]
    upstream = (
        "what the hooks rely on from each other (each alone renders as Python-Markdown does, "
        "or its own test says so)"
    )
    assert not found, same_html_message(hooks, upstream, found, len(BODIES))


def _leaving_a_pattern_after_its_first_match(self: InlineProcessor, data: str, patternIndex: int = 0) -> str:
    if not isinstance(data, util.AtomicString):
        for index in range(patternIndex, len(self.inlinePatterns)):
            data, _, _ = self._InlineProcessor__applyPattern(  # type: ignore[attr-defined]
                self.inlinePatterns[index], data, index, 0
            )
    return data


def _trying_the_patterns_from_the_last_to_the_first(
    self: InlineProcessor, data: str, patternIndex: int = 0
) -> str:
    if not isinstance(data, util.AtomicString):
        for index in reversed(range(patternIndex, len(self.inlinePatterns))):
            matched, start = True, 0
            while matched:
                data, matched, start = self._InlineProcessor__applyPattern(  # type: ignore[attr-defined]
                    self.inlinePatterns[index], data, index, start
                )
    return data


@pytest.mark.parametrize(
    "loop", [_leaving_a_pattern_after_its_first_match, _trying_the_patterns_from_the_last_to_the_first]
)
def test_the_documents_would_show_a_change_of_python_markdowns_loop(
    monkeypatch: pytest.MonkeyPatch, loop: Callable[..., str]
) -> None:
    # Upstream's loop changed as it might, under our override: the comparison above must fail.
    converter = with_hook(SkippingInlineExtension())
    monkeypatch.setattr(InlineProcessor, "_InlineProcessor__handleInline", loop)
    assert differences(lambda body: convert(converter, body), BODIES), (
        f"no document renders differently when {UPSTREAM} {loop.__name__[1:].replace('_', ' ')}: "
        "add documents to tests/markdown_corpus.py that would (unless the override is not called at all: "
        "see test_python_markdown_calls_the_override_which_skips_what_cannot_match)"
    )
