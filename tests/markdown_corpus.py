"""What the tests of syndicate's Python-Markdown hooks (markdown_inline, markdown_blocks,
markdown_passes, markdown_toc) share: a corpus of tricky documents, random documents, and
the comparison of a hook's HTML with plain Python-Markdown's (the same extensions and
settings, without the hooks), whose failure says which hook to re-check against what."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from types import ModuleType

import markdown
from markdown.extensions import Extension

from syndicate.render.renderer import MARKDOWN_EXTENSION_CONFIGS, MARKDOWN_EXTENSIONS
from syndicate.source import frontmatter

ROOT = Path(__file__).parents[1]
EXAMPLE_POSTS = sorted((ROOT / "examples" / "site" / "content").rglob("*.md"))
EXAMPLE_BODIES = [frontmatter.body_of(path.read_bytes()) for path in EXAMPLE_POSTS]

EMPHASIS = [
    "*a **b** c* and **a *b* c** and ***a** b* and ***a* b** and **a*b**",
    "*a **b c* d** and **a *b c** d* and *a*b*c*d* and *****a*****",
    "**a* and *a** and ** not strong ** and * not em * and a * b * c",
    "a*b*c a_b_c _a_b_ __a__b snake_case_word __init__ 2*3*4 2 * 3 * 4",
    "*_a_* _*a*_ _a __b__ c_ __a _b_ c__ ___a___ ___a_ b__ ___a__ b_",
    "*em\nacross lines* and **strong\nacross** and *unclosed\n\nnext paragraph*",
    "\\*not em\\* \\_not em\\_ \\\\*em after an escaped backslash*",
    "*[link](/u)* [*em in link*](/u) `*not em*` *`code`* *$m$*",
    "中*文*字 **中文**：标点 _中文_ 中文__强调__中文 ＊全角＊",
    "****\n\n*\n*\n\n**\n\n_ _\n\n*a\n\n**a",
    "_" * 40 + "a" + "_" * 40 + " and " + "*" * 30 + "b" + "*" * 29,
]
LINKS = [
    "[a](/u) [a](/u \"t\") [a](</u x>) [a](/u 't') [a](/u (t)) [a]( /u ) [](/e) [a]()",
    "[a](/u(with)parens) [a](/u(unbalanced) [a [nested] b](/u) [[a]](/u) [a](/u)[b](/v)",
    '![img](/i.png "t") [![img](/i.png)](/u) ![](/empty.png) ![a *b*](/i.png) !notimage',
    "[a][] [a][b] [a] [b] [undefined][nope] [A][B] [c] [ c ] [c]x\n\n[b]: /u\n[a]: /a 'A'\n[C]: </c d>",
    "<https://a.example/?q=1&r=2> <mailto:me@e.example> <me@e.example> <not a link> <ftp://f.example>",
    "https://bare.example/a_b_c [js](javascript:alert(1)) [a\\]b](/u) [a](/u\\)x) [a](/a&b)",
    "[a](/a_b_c) _em_ [`code`](/u) [a](/u){: .x} [a\nb](/u) [a](\n/u\n) [a]\n[b]\n\n[a]: /a",
    '[ref]: /no-text\n\n[x]:\n/after-a-break\n\n[y]: /y\n[z]: /z "Z"\ntext [y] [z] [x]',
    "[link <b>html</b>](/u) [a](<>) [a](/u\u00a0v) [a](#frag) [a](?q) [a](//proto.example)",
]
FOOTNOTES = [
    "a[^1] b[^1] c[^2]\n\n[^1]: one\n[^2]: two",
    "[^missing] and [^] and [^ 1] and [^1]\n\n[^1]:",
    "[^1]\n\n[^1]: first definition\n[^1]: second definition",
    "[^a]: defined first\n\ntext[^a] and[^b]\n\n[^b]: para one\n\n    para two\n\n    ```\n    code\n    ```",
    "# Heading[^h]\n\n| cell[^t] | b |\n|---|---|\n| 1 | 2 |\n\n- item[^l]\n\n[^h]: h\n[^t]: t\n[^l]: l",
    "see[^1]\n\n[^1]: a note that cites[^2]\n[^2]: the other note",
    "- a list ///Footnotes Go Here///[^1]\n\n> ///Footnotes Go Here///\n\n[^1]: note",
    "# ///Footnotes Go Here///\n\ntext[^1]\n\n[^1]: note",
    "*em* tail ///Footnotes Go Here/// and `///Footnotes Go Here///`[^1]\n\n[^1]: note",
    "```\n///Footnotes Go Here///\n```\n\nnote[^1]\n\n[^1]: n",
    "text[^1]\n\n    [^1]: indented is code\n\n[^1]: real",
    "x[^1]\n\n[^1]: note with *em* and [link](/u) and `code`\n    continued lazily\nlazy line",
]
SETEXT = [
    "Title\n=====\n\nTitle\n-----\n\nTitle\n=\n\nTitle\n-\n\nTitle\n= =\n\nTitle\n=-=\n\nTitle\n===  ",
    "  Title\n===\n\na\nb\n===\n\n- item\n---\n\n> quote\n===\n\nTitle\n---\ntext after",
    "text\n\n---\n\n# atx\n===\n\nTitle\n    ===\n\n`code`\n---\n\n*em*\n===\n\nTitle ==\n==",
    "Title\n===\n===\n\nTitle\n---\n---\n\n---\nafter a rule\n===",
    "Title\n-- -\n\nTitle\n- - -\n\nTitle\n--\n\nTitle\n==\n\n中文标题\n====",
]
LISTS = [
    "- a\n- b\n\n- loose\n\n- list\n\n1. one\n2. two\n\n3. three starts at 3\n4. four",
    "- a\n* b\n+ c\n\n1. a\n1. b\n\n1) a\n2) b\n\npara\n- item after a paragraph",
    "- item\n\n    second paragraph\n\n        code in an item\n\n- ```\n  fenced\n  ```",
    "-item\n- \n-\n* * *\n- - -\n-- item\n\n2020. a year\n\n\t- tab item\n\t\t- deeper",
    "- a\n    - b\n        - c\n            - d\n                - e\n                    - f",
    "- a\n  - two-space nested\n- # heading in a list\n- > quote in a list\n- | a |\n  |---|\n  | 1 |",
    "1. one\n\n    ```python\n    x = 1\n    ```\n\n2. two [^1]\n\n[^1]: n",
    "* a\n\n    * b\n\n* c\n\n\n\n* after many blanks",
]
TOCS = [
    "[TOC]\n\n# a\n\n# a\n\n# a_1\n\n## b",
    "[TOC]\n\n[TOC]\n\n- [TOC]\n\n> [TOC]\n\na [TOC] b\n\n[toc]\n\n# H",
    '# a\n\n# a_1\n\n# a\n\n<h2 id="x">raw</h2>\n\n## x\n\n## x_1\n\n## x',
    "#\n\n## ???\n\n## 😀 emoji\n\n## a ##\n\n## a #b\n\n## \\*a\\*\n\n## &lt;tag&gt; &amp;\n\n## a < b",
    "# 1. Intro\n\n## _x_\n\n####### seven\n\n###### six\n\n## a [link](/u) ![i](/i.png) <span>s</span>",
    "## `a < b` code\n\n## 中文 标题\n\n## 中文 标题\n\n## Ünïcödé Ñame\n\n## tab\there",
    "# A heading with a footnote[^1]\n\n[TOC]\n\n[^1]: n",
    "# x\n\ntext\n\n    [TOC]\n\n```\n[TOC]\n```",
]
OTHERS = [
    '<div>\n*not md*\n</div>\n\n<div markdown="1">\n*still not md*\n</div>\n\n<!-- comment -->\n\n<!--',
    "<?php x ?>\n\n<![CDATA[x]]>\n\ntext <span>*em in span*</span> a<b>c</b> < alone > alone",
    "````\n```\nx\n```\n````\n\n~~~\n~~~\n\n    indented *code*\n\n```\nunclosed fence",
    "$$\nx^2\n$$\n\n\\[x\\]\n\n$a$b$ $ not math $ \\$5 $5 and $10 \\(a\\) $a\\$b$",
    "| a | b |\n|:-|-:|\n| `|` | \\| |\n| | empty |\n\n- | in | list |\n  |----|------|\n  | 1  | 2    |",
    "a  \nb\\\nc \nd   \ne\t\nf",
    "&amp; &copy; &#x27; &#39; &bogus; & AT&T &amp;amp; &#0; &#xFFFFFF;",
    "\x02\x03 klzzwxh:0000 \x02klzzwxh:0001\x03 \x02wzxhzdk:0\x03 and \x0242\x03",
    "tabs\tin\ttext\r\nand CRLF\r\n\r\nand a lone CR\rhere\n \n  \n   \nspaces",
    ">>>>> deep quote\n> > > quote\n>\n> > nested\n\n>\n\n> # heading in a quote\n> ===",
    "a line " + "word " * 400,
    "\u2003em space\u00a0nbsp\u200bzero width\ufeffbom",
]
CORPUS = [*EMPHASIS, *LINKS, *FOOTNOTES, *SETEXT, *LISTS, *TOCS, *OTHERS]

# Random documents: blocks of each kind, holding random inline text.
_INLINE = [
    *"ab 中文_*`$&<>!#[]()^\\|=-:",
    "word",
    "  \n",
    "\n",
    "*em*",
    "**strong**",
    "_u_",
    "`c`",
    "$m$",
    "\\(m\\)",
    "[l](/u)",
    "![i](/i.png)",
    "[r]",
    "[r][]",
    "[^1]",
    "[^2]",
    "<https://a.example>",
    "<span>",
    "</span>",
    "&amp;",
    "&copy;",
    "\\*",
    "\\\\",
    "[TOC]",
    "///Footnotes Go Here///",
]
_BLOCKS: list[Callable[[str], str]] = [
    lambda text: text,
    lambda text: text,
    lambda text: "# " + text,
    lambda text: "### " + text + " ###",
    lambda text: text + "\n===",
    lambda text: text + "\n---",
    lambda text: "- " + text + "\n- " + text,
    lambda text: "1. " + text + "\n    - " + text,
    lambda text: "> " + text + "\n> > " + text,
    lambda text: "| " + text + " | b |\n|---|---|\n| " + text + " | 2 |",
    lambda text: "```\n" + text + "\n```",
    lambda text: "    " + text,
    lambda text: "$$\n" + text + "\n$$",
    lambda text: "[^1]: " + text,
    lambda text: "[r]: /r " + '"' + text + '"',
    lambda text: "* * *",
    lambda text: "<div>" + text + "</div>",
    lambda text: "[TOC]",
]


def random_documents(seed: int, count: int) -> list[str]:
    chooser = random.Random(seed)
    documents = []
    for _ in range(count):
        blocks = []
        for _ in range(chooser.randint(1, 8)):
            text = "".join(chooser.choices(_INLINE, k=chooser.randint(0, 12)))
            blocks.append(chooser.choice(_BLOCKS)(text))
        documents.append(chooser.choice(["\n\n", "\n"]).join(blocks))
    return documents


def stock() -> markdown.Markdown:
    """Plain Python-Markdown with syndicate's extensions and settings, no hooks."""
    return markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_EXTENSION_CONFIGS)


def with_hook(*hooks: Extension) -> markdown.Markdown:
    """Python-Markdown with syndicate's extensions and settings, and these hooks after them
    (where render.py puts them)."""
    return markdown.Markdown(
        extensions=[*MARKDOWN_EXTENSIONS, *hooks], extension_configs=MARKDOWN_EXTENSION_CONFIGS
    )


def convert(converter: markdown.Markdown, body: str) -> str:
    converter.reset()
    return converter.convert(body)


def differences(
    ours: Callable[[str], str], bodies: Iterable[str], theirs: markdown.Markdown | None = None
) -> list[tuple[str, str, str]]:
    """(body, our HTML, Python-Markdown's) for each body whose HTML differs."""
    theirs = theirs or stock()
    found = []
    for body in bodies:
        mine, upstream = ours(body), convert(theirs, body)
        if mine != upstream:
            found.append((body, mine, upstream))
    return found


def installed() -> str:
    return ", ".join(f"{name} {metadata.version(name)}" for name in ("markdown", "pymdown-extensions"))


def checked(module: ModuleType) -> str:
    return ", ".join(f"{name} {version}" for name, version in module.CHECKED_AGAINST.items())


def _file(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[-1] + ".py"


def same_html_message(
    modules: ModuleType | list[ModuleType], upstream: str, found: list[tuple[str, str, str]], of: int
) -> str:
    """Why a hook's HTML (or that of several together) differs from Python-Markdown's, and
    what to do."""
    modules = modules if isinstance(modules, list) else [modules]
    name = " and ".join(map(_file, modules))
    lines = [
        f"{name} render {len(found)} of {of} documents other than plain Python-Markdown does "
        f"({installed()} installed; checked against {checked(modules[0])}): {upstream} must have "
        f"changed in a way that matters. Re-check {name} against it. The first ones:",
    ]
    for body, mine, theirs in found[:3]:
        lines += [f"  document: {body!r}", f"  {name}: {mine!r}", f"  Python-Markdown: {theirs!r}"]
    return "\n".join(lines)


def check_versions(module: ModuleType) -> None:
    """The installed Markdown (and pymdown-extensions) are those the hook was checked against,
    and constraints.txt pins them."""
    name = _file(module)
    pins = pinned()
    for package, version in module.CHECKED_AGAINST.items():
        assert pins.get(package) == version, (
            f"constraints.txt pins {package} {pins.get(package)}, but {name} was checked against "
            f"{version}: pin the version checked, or check {name} against the new one"
        )
        now = metadata.version(package)
        assert now == version, (
            f"{package} {now} is installed, but {name} hooks code of {package} {version}: read what "
            f"changed upstream in the code {name} hooks (its docstring says which), fix {name} if need "
            "be, then update its CHECKED_AGAINST and constraints.txt"
        )


def pinned() -> dict[str, str]:
    """The exact versions constraints.txt pins, by lower-case name."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            package, version = line.split("#")[0].strip().split("==")
            pins[package.lower()] = version
    return pins
