"""Math rendered on the server: TeX to MathML in pages and feeds, no script needed."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_config
from test_render import make_post

from syndicate.render.excerpt import plain_text
from syndicate.render.mathml import MATHML_ATTRIBUTES, math_to_mathml, tex_to_mathml
from syndicate.render.renderer import (
    ExcerptSettings,
    Rendered,
    Renderer,
    markdown_to_html,
    render_post,
    sanitize,
)
from syndicate.source import frontmatter

PAGE = "https://blog.example/posts/hello/"
EXCERPT = ExcerptSettings(140, "...", "[code]", "[formula]")
MATH = '<math display="{}" xmlns="http://www.w3.org/1998/Math/MathML">'
EXAMPLES = Path(__file__).parents[1] / "examples" / "site" / "content"


def render(body: str) -> Rendered:
    return render_post(body, None, PAGE, EXCERPT)


def html_of(body: str) -> str:
    html = render(body).html
    assert html is not None
    return html


def test_inline_and_display_math_become_mathml() -> None:
    html = html_of("Inline $p_{ii} < 1$ and \\(x\\).\n\n$$\n\\frac{a}{b}\n$$\n\n\\[ y \\]\n")
    assert (
        MATH.format("inline") + "<mrow><msub><mi>p</mi><mrow><mi>i</mi><mi>i</mi></mrow></msub>"
        "<mo>&lt;</mo><mn>1</mn></mrow></math>"
    ) in html
    assert MATH.format("inline") + "<mrow><mi>x</mi></mrow></math>" in html
    assert (
        MATH.format("block")
        + "<mrow><mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac></mrow></math>"
    ) in html
    assert MATH.format("block") + "<mrow><mi>y</mi></mrow></math>" in html
    assert "arithmatex" not in html and "\\(" not in html and "\\[" not in html
    assert render("Inline $x$.").math_errors == ()


def test_upright_words_are_one_identifier() -> None:
    html = tex_to_mathml("\\mathrm{softmax}(x) + \\mathrm{d}x", block=False)
    assert '<mi mathvariant="normal">softmax</mi>' in html
    assert '<mi mathvariant="normal">d</mi><mi>x</mi>' in html


def test_math_in_a_heading_keeps_a_plain_id() -> None:
    html = html_of("## 为什么要除以 $\\sqrt{d_k}$\n\ntext\n")
    heading = re.fullmatch(r'<h3 id="([^"]*)">为什么要除以 (<math .*</math>)</h3>\n<p>text</p>', html)
    assert heading is not None, html
    assert heading.group(1) == "为什么要除以-sqrtd_k"
    assert "<msqrt>" in heading.group(2)


def test_a_table_of_contents_shows_a_heading_formula_as_its_source() -> None:
    html = html_of("[TOC]\n\n# Why $\\sqrt{d_k}$\n")
    toc = html.split("</div>")[0]
    assert "<math" not in toc and "<mi" not in toc
    assert 'href="https://blog.example/posts/hello/#why-sqrtd_k">Why \\(\\sqrt{d_k}\\)</a>' in toc


def test_the_example_sites_math_all_converts() -> None:
    for path in sorted(EXAMPLES.rglob("*.md")):
        done = render(frontmatter.body_of(path.read_bytes()))
        assert done.math_errors == (), path
        assert done.html is not None and "arithmatex" not in done.html, path
    attention = html_of(
        frontmatter.body_of((EXAMPLES / "2025" / "2025-07-19-transformer-attention-notes.md").read_bytes())
    )
    assert '<mi mathvariant="normal">Attention</mi>' in attention
    assert '<h3 id="为什么要除以-sqrtd_k">为什么要除以 <math display="inline"' in attention


@pytest.mark.parametrize(
    ("body", "formula", "kept"),
    [
        ("a $x^$ b", "x^", '<span class="math-error">\\(x^\\)</span>'),
        ("a \\( \\) b", "\\( \\)", '<span class="math-error">\\( \\)</span>'),
        ("a \\(\\frac{1}\\) b", "\\frac{1}", '<span class="math-error">\\(\\frac{1}\\)</span>'),
        (
            "a $\\nosuchcommand + 1$ b",
            "\\nosuchcommand + 1",
            '<span class="math-error">\\(\\nosuchcommand + 1\\)</span>',
        ),
        (
            "$$\n\\left( x < y\n$$",
            "\\left( x < y",
            '<pre class="math-error">\\[\n\\left( x &lt; y\n\\]</pre>',
        ),
    ],
)
def test_a_formula_that_cannot_be_converted_stays_as_its_source(body: str, formula: str, kept: str) -> None:
    done = render(body)
    assert done.html is not None and kept in done.html
    assert "<math" not in done.html
    (error,) = done.math_errors
    assert error.startswith(formula + " (")


def test_a_broken_formula_is_a_warning_that_names_it_and_the_post_is_published(tmp_path: Path) -> None:
    renderer = Renderer(make_config(tmp_path))
    (entry,) = renderer.entries([make_post("Good $x$, bad $x^$, bad again $x^$ and $\\frac{a}$.")])
    assert "<math" in entry.html and 'class="math-error"' in entry.html
    assert [str(problem) for problem in renderer.warnings()] == [
        "hello.md:1: warning: formula left as its source, not made MathML: x^ "
        "(latex2mathml: MissingSuperScriptOrSubscriptError)",
        "hello.md:1: warning: formula left as its source, not made MathML: \\frac{a} "
        "(incomplete: <mfrac> of 1 parts, not 2)",
    ]
    assert renderer.failed == {}
    renderer.entries([make_post("Fixed $x^2$.", digest="d2")])
    assert renderer.warnings() == ()


def test_warnings_outlive_the_render_cache(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    body = "bad $x^$"
    first = Renderer(config, tmp_path / "cache")
    first.entries([make_post(body)])
    assert first.rendered == 1 and len(first.warnings()) == 1
    first.entries([make_post(body)])  # the very same post again, from memory
    assert first.rendered == 0 and len(first.warnings()) == 1
    first.close()
    second = Renderer(config, tmp_path / "cache")
    (entry,) = second.entries([make_post(body)])
    assert second.rendered == 0
    assert second.warnings() == first.warnings()
    assert '<span class="math-error">\\(x^\\)</span>' in entry.html
    second.close()


@pytest.mark.parametrize(
    ("body", "literal"),
    [
        (
            "`$x$` and `\\(y\\)` and `$$z$$`",
            "<code>$x$</code> and <code>\\(y\\)</code> and <code>$$z$$</code>",
        ),
        ("```\n$$\nx\n$$\n\\[y\\]\n```", '<pre class="highlight"><code>$$\nx\n$$\n\\[y\\]</code></pre>'),
        ("    indented $x$ \\(y\\)", '<pre class="highlight"><code>indented $x$ \\(y\\)</code></pre>'),
    ],
)
def test_math_in_code_stays_code(body: str, literal: str) -> None:
    html = html_of(body)
    assert literal in html
    assert "<math" not in html


def test_escaped_dollars_and_backslashes_are_text() -> None:
    html = html_of("It costs \\$5 or \\$10, and \\\\(x\\\\) is not math; $a\\$b$ is.")
    assert html.startswith("<p>It costs $5 or $10, and \\(x\\) is not math; <math ")
    assert "<mi>a</mi><mi>$</mi><mi>b</mi>" in html


def test_excerpts_keep_the_placeholder_for_display_math(tmp_path: Path) -> None:
    assert render("Before $x_1$.\n\n$$\n\\sum_i x_i\n$$\n\nAfter.").excerpt == "Before x_1. [formula] After."
    config = make_config(tmp_path, language="zh-CN")
    config = dataclasses.replace(config, excerpt=dataclasses.replace(config.excerpt, length=20))
    (entry,) = Renderer(config).entries(
        [dataclasses.replace(make_post("开始\n\n\\[\nx\n\\]\n\n结束"), lang="zh-CN")]
    )
    assert entry.excerpt == "开始 [公式] 结束"
    assert plain_text(html_of("a\n\n$$\nx\n$$\n\nb")) == "a b"  # MathML display math is left out too


@pytest.mark.parametrize(
    ("tex", "absent"),
    [
        ("\\href{javascript:alert(1)}{x}", "javascript"),
        ("\\href{https://e.example/}{x}", "href"),
        ("\\text{<script>alert(1)</script>}", "<script"),
        ("\\text{<img src=x onerror=alert(1)>}", "<img"),
        ("\\style{background:url(https://e.example/)}{y}", "style"),
        ("\\class{evil}{y}", "evil"),
        ("\\mathrm{</math><script>alert(1)</script>}", "<script"),
    ],
)
def test_nothing_dangerous_comes_through_a_formula(tex: str, absent: str) -> None:
    html = html_of(f"a ${tex}$ b")
    assert absent not in html
    assert "<math " in html or 'class="math-error"' in html


def test_text_in_a_formula_is_escaped_not_markup() -> None:
    html = html_of("a $\\text{<b>bold</b> & co}$ b")
    assert "<mtext>&lt;b&gt;bold&lt;/b&gt;&nbsp;&amp;&nbsp;co</mtext>" in html


@pytest.mark.parametrize(
    "source",
    [
        '<math><mi href="javascript:alert(1)" onclick="alert(1)" style="color:red">a</mi></math>',
        "<math><mtext><script>alert(1)</script></mtext><mi>a</mi></math>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table>"
        "</mtext><mi>a</mi></math>",
        '<math><annotation-xml encoding="text/html"><img src=x onerror=alert(1)></annotation-xml>'
        "<mi>a</mi></math>",
        '<math><maction actiontype="statusline"><mi xlink:href="javascript:alert(1)">a</mi></maction></math>',
    ],
)
def test_the_sanitizer_keeps_mathml_and_strips_what_is_smuggled_in(source: str) -> None:
    html = sanitize(source, PAGE)
    for absent in ("javascript", "onclick", "onerror", "style", "<script", "<img", "href"):
        assert absent not in html, html
    assert html.startswith("<math>") and "<mi>a</mi>" in html


FORMULAS = [
    "\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}",
    "\\begin{cases} 1 & x > 0 \\\\ 0 & \\text{otherwise} \\end{cases}",
    "\\begin{align} a &= b \\\\ c &= d \\end{align}",
    "\\begin{array}{c|c} a & b \\\\ \\hline c & d \\end{array}",
    "\\overbrace{a+b}^{n} \\underbrace{c}_{m} \\hat{x} \\vec{v} \\bar{y} \\tilde{z}",
    "\\sum_{i=1}^n \\int_0^1 \\lim_{x\\to 0} \\prod_k \\binom{n}{k} \\sqrt[3]{x}",
    "\\color{red}{x} \\boxed{x} \\phantom{x} \\hspace{1em} \\rlap{x} \\,\\;\\quad\\! \\displaystyle x",
    "\\left( \\frac{QK^{\\top}}{\\sqrt{d_k}} \\right) \\mathbb{R} \\mathcal{L} \\operatorname{arg\\,max}",
    "\\Huge x \\tiny y \\mathbf{v} \\boldsymbol{\\theta} \\mathit{d} \\mathsf{s} \\mathtt{t}",
]


@pytest.mark.parametrize("tex", FORMULAS)
@pytest.mark.parametrize("block", [False, True])
def test_the_sanitizer_keeps_all_the_mathml_made(tex: str, block: bool) -> None:
    mathml = tex_to_mathml(tex, block)
    assert sanitize(mathml, PAGE) == mathml
    for tag, attributes in re.findall(r"<([a-z]+)((?: [a-z-]+=\"[^\"]*\")*)>", mathml):
        assert tag in MATHML_ATTRIBUTES
        assert {name for name in re.findall(r" ([a-z-]+)=", attributes)} <= MATHML_ATTRIBUTES[tag]


def test_output_is_deterministic() -> None:
    body = "$x$ and $$\n\\begin{pmatrix} a \\\\ b \\end{pmatrix}\n$$\n\n$\\left(\\frac{a}{b}\\right)$ $x^$"
    first = render(body)
    tex_to_mathml.cache_clear()
    assert render(body) == first


def test_a_page_without_math_is_left_alone() -> None:
    html = markdown_to_html("plain *text* with a $ sign")
    assert math_to_mathml(html).html is html


def test_check_warns_of_a_formula_left_as_its_source_and_the_post_is_built(tmp_path: Path) -> None:
    store = tmp_path / "content"
    store.mkdir()
    (store / "good.md").write_text("---\ntitle: Good\ndate: 2026-01-01\n---\nEuler: $e^{i\\pi}+1=0$\n")
    (store / "bad.md").write_text("---\ntitle: Bad\ndate: 2026-01-02\n---\nBroken: $x^$ and $\\foo{1}$\n")
    config = tmp_path / "syndicate.toml"
    config.write_text('[store]\npath = "content"\n[build]\ncache_dir = "cache"\n', encoding="utf-8")
    environ = {key: value for key, value in os.environ.items() if not key.startswith("SYNDICATE_")}
    for _ in range(2):  # the second from the cache, without rendering again
        check = subprocess.run(
            [sys.executable, "-m", "syndicate.cli", "check", "--config", str(config)],
            capture_output=True, text=True, timeout=120, env=environ, check=False,
        )  # fmt: skip
        warnings = [line for line in check.stdout.splitlines() if ": warning: " in line]
        assert len(warnings) == 2 and all("content/bad.md:1: warning: formula" in line for line in warnings)
        assert "x^" in warnings[0] + warnings[1] and "\\foo" in warnings[0] + warnings[1]
    out = tmp_path / "out"
    build = subprocess.run(
        [sys.executable, "-m", "syndicate.cli", "build", "--config", str(config), "--out", str(out)],
        capture_output=True, text=True, timeout=120, env=environ, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    good = (tmp_path / "out" / "posts" / "good" / "index.html").read_text()
    assert "<math" in good and "<msup>" in good and "\\pi" not in good
    bad = (tmp_path / "out" / "posts" / "bad" / "index.html").read_text()
    assert 'class="math-error"' in bad
    assert "<math" in (tmp_path / "out" / "atom.xml").read_text().replace("&lt;", "<")
