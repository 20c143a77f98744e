from __future__ import annotations

import random

import pytest
import regex  # type: ignore[import-untyped]  # no stubs are installed

import syndicate.render.excerpt
from syndicate.render.excerpt import make_excerpt, plain_text


def excerpt(html: str, length: int = 350, *, summary: str | None = None, lang: str = "zh") -> str:
    return make_excerpt(
        html,
        summary=summary,
        length=length,
        ellipsis="...",
        code_placeholder="[代码]" if lang == "zh" else "[code]",
        math_placeholder="[公式]" if lang == "zh" else "[formula]",
    )


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


# What Python-Markdown (footnotes, tables, pymdownx arithmatex/highlight/superfences) renders.
# syndicate.render.renderer turns Pygments off, which gives the plain form; the other is Pygments'.
PLAIN_CODE_BLOCK = (
    '<pre class="highlight"><code class="language-python">for x in xs:\n    print(x &lt; 2)</code></pre>'
)
CODE_BLOCK = (
    '<div class="highlight"><pre><span></span><code class="language-python">'
    '<span class="k">for</span> <span class="n">x</span> <span class="ow">in</span> '
    '<span class="n">xs</span><span class="p">:</span>\n    <span class="nb">print</span>'
    '<span class="p">(</span><span class="n">x</span><span class="p">)</span>\n</code></pre></div>'
)
DISPLAY_MATH = '<div class="arithmatex">\\[\n\\sum_{j} p_{ij} = 1\n\\]</div>'
FOOTNOTES = (
    '<div class="footnote">\n<hr />\n<ol>\n<li id="fn:1">\n<p>脚注正文。&#160;'
    '<a class="footnote-backref" href="#fnref:1" title="Jump back to footnote 1 in the text">&#8617;</a>'
    "</p>\n</li>\n</ol>\n</div>"
)
FOOTNOTE_REF = '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>'

POST = f"""<h2>🔖 背景</h2>
<p>我们在 8 张 A100 上用 Prefix-Tuning 微调了 Qwen1.5-7B-Chat，输入图像统一缩放到 320×320。\
在 C-Eval 上准确率达到 84.4%，比基线高 3.2 个百分点{FOOTNOTE_REF}。\
详见<a href="https://example.com/qwen-tuning?ref=blog&amp;lang=zh">项目主页</a>。</p>
<p><img alt="训练曲线" src="https://example.com/loss.png" /></p>
<p>马尔可夫链的自环概率 <span class="arithmatex">\\(p_{{ii}}\\)</span> 满足：</p>
{DISPLAY_MATH}
<p>训练脚本的核心部分如下：</p>
{PLAIN_CODE_BLOCK}
<blockquote>
<p>💡 提示：“学习率”不宜超过 <code>3e-4</code>。</p>
</blockquote>
<!-- more -->

<h2>结果</h2>
<p>共 1,600 条样本。</p>
{FOOTNOTES}
"""
POST_TEXT = (
    "🔖 背景 我们在 8 张 A100 上用 Prefix-Tuning 微调了 Qwen1.5-7B-Chat，输入图像统一缩放到 320×320。"
    "在 C-Eval 上准确率达到 84.4%，比基线高 3.2 个百分点。详见项目主页。 马尔可夫链的自环概率 p_{ii} 满足："
    " [公式] 训练脚本的核心部分如下： [代码] 💡 提示：“学习率”不宜超过 3e-4。"
)


# The whole post


def test_post_end_to_end() -> None:
    assert graphemes(POST_TEXT) == 182
    assert excerpt(POST) == POST_TEXT
    assert excerpt(POST, 182) == POST_TEXT


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        # Before "。", which is CJK punctuation: a cut may fall next to it.
        (181, POST_TEXT[:-1] + "..."),
        # Inside "Qwen1.5-7B-Chat": back to the space before it.
        (45, "🔖 背景 我们在 8 张 A100 上用 Prefix-Tuning 微调了..."),
        # Inside "320×320".
        (66, "🔖 背景 我们在 8 张 A100 上用 Prefix-Tuning 微调了 Qwen1.5-7B-Chat，输入图像统一缩放到..."),
        # Inside "84.4%".
        (
            91,
            "🔖 背景 我们在 8 张 A100 上用 Prefix-Tuning 微调了 Qwen1.5-7B-Chat，输入图像统一缩放到 320×320。"
            "在 C-Eval 上准确率达到...",
        ),
        # Inside the math placeholder: before it.
        (140, POST_TEXT.split(" [公式]")[0] + "..."),
        # Right after the math placeholder.
        (143, POST_TEXT.split(" 训练")[0] + "..."),
    ],
)
def test_post_cut(length: int, expected: str) -> None:
    assert excerpt(POST, length) == expected
    assert graphemes(expected.removesuffix("...")) <= length


def test_post_in_english_placeholders() -> None:
    expected = POST_TEXT.replace("[公式]", "[formula]").replace("[代码]", "[code]")
    assert excerpt(POST, lang="en") == expected


def test_parsing_in_small_chunks_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    long_post = POST.replace("<!-- more -->", "") * 20
    lengths = (1, 45, 91, 140, 181, 350, 2000)
    expected = [excerpt(long_post, n) for n in lengths]
    monkeypatch.setattr(syndicate.render.excerpt, "_first_chunk", lambda length: 1)
    assert [excerpt(long_post, n) for n in lengths] == expected


# Placeholders and math


@pytest.mark.parametrize("block", [PLAIN_CODE_BLOCK, CODE_BLOCK])
def test_code_block_becomes_placeholder(block: str) -> None:
    html = f"<p>看代码：</p>\n{block}\n<p>完。</p>"
    assert excerpt(html) == "看代码： [代码] 完。"
    assert excerpt(html, lang="en") == "看代码： [code] 完。"


def test_bare_pre_and_line_numbered_block_are_one_placeholder_each() -> None:
    html = (
        "<p>A</p><pre><code>x = 1\ny = 2</code></pre><p>B</p>"
        '<div class="highlight"><table class="highlighttable"><tr><td class="linenos">'
        '<div class="linenodiv"><pre><span class="normal">1</span></pre></div></td>'
        '<td class="code"><div><pre><span></span><code>x = 1\n</code></pre></div></td></tr></table></div>'
        "<p>C</p>"
    )
    assert excerpt(html, lang="en") == "A [code] B [code] C"


def test_display_math_becomes_placeholder() -> None:
    html = f"<p>公式如下：</p>\n{DISPLAY_MATH}\n<p>证毕。</p>"
    assert excerpt(html) == "公式如下： [公式] 证毕。"
    assert excerpt(html, lang="en") == "公式如下： [formula] 证毕。"


def test_inline_math_stays_as_tex() -> None:
    html = (
        '<p>概率 <span class="arithmatex">\\(p_{ii}\\)</span> 不变，'
        '且 (<span class="arithmatex">\\( a&lt;b \\)</span>)</p>'
    )
    assert excerpt(html) == "概率 p_{ii} 不变，且 (a<b)"


def test_inline_code_stays_as_text() -> None:
    assert excerpt("<p>Call <code>make_excerpt()</code> once.</p>") == "Call make_excerpt() once."


def test_empty_placeholder_drops_the_block() -> None:
    html = f"<p>a</p>{CODE_BLOCK}<p>b</p>"
    result = make_excerpt(
        html, summary=None, length=10, ellipsis="...", code_placeholder="", math_placeholder=""
    )
    assert result == "a b"


# Text extraction


def test_links_shown_as_text_and_images_dropped() -> None:
    html = (
        '<p>See <a href="https://example.com/docs">the docs</a><img alt="a diagram" src="d.png"> now'
        '<img src="x.png" alt="more alt"/>.</p>'
    )
    assert excerpt(html) == "See the docs now."


def test_blocks_are_separated_and_inline_elements_are_not() -> None:
    html = (
        "<h2>Title</h2><p>Paragraph</p><ul><li>one</li><li>two</li></ul>"
        "<table><tr><th>h</th></tr><tr><td>a</td><td>b</td></tr></table>"
        "<blockquote><p>quote</p></blockquote>line<br>break<br/>again<hr>end"
        "<div>x</div><div>y</div>"
    )
    assert excerpt(html) == "Title Paragraph one two h a b quote line break again end x y"
    inline = "<p><strong>bo</strong><em>ld</em><span>fa</span><a href='/'>ce</a><code>d</code></p>"
    assert excerpt(inline) == "boldfaced"


def test_whitespace_is_folded() -> None:
    html = "\n  <p>\n  a\t\tb \u00a0 c&nbsp;d&#160;&#xA0;e\r\n</p>\n\n<p> f </p>  "
    assert excerpt(html) == "a b c d e f"


def test_entities_are_decoded() -> None:
    html = "<p>&amp; &lt;tag&gt; &quot;q&quot; &#8220;x&#8221; &copy; &#x1F516; &eacute;</p>"
    assert excerpt(html) == '& <tag> "q" “x” © 🔖 é'


def test_footnotes_are_dropped() -> None:
    html = f"<p>正文{FOOTNOTE_REF}继续。</p>\n{FOOTNOTES}"
    assert excerpt(html) == "正文继续。"


def test_scripts_styles_and_templates_are_dropped() -> None:
    html = (
        "<p>a</p><script>var x = '<p>no</p>';</script><style>p { color: red }</style>"
        "<template><p>no</p><template>no</template>no</template><p>b</p>"
    )
    assert excerpt(html) == "a b"


def test_every_character_is_kept() -> None:
    text = "Prefix-Tuning 和 LoRA 在 320×320 的图像上，“效果”不错。🔖 💡 Qwen1.5-7B-Chat — it's “fine”!"
    assert excerpt(f"<p>{text}</p>") == text


def test_empty_html() -> None:
    assert excerpt("") == ""
    assert excerpt("  \n ") == ""
    assert excerpt('<p><img alt="only an image" src="a.png"></p>') == ""


# <!--more--> and the summary


@pytest.mark.parametrize("comment", ["<!--more-->", "<!-- more -->", "<!--\nmore\n-->"])
def test_more_ends_the_text(comment: str) -> None:
    html = f"<p>Intro text.</p>\n{comment}\n<p>The rest.</p>"
    assert excerpt(html) == "Intro text."


def test_more_inside_a_paragraph() -> None:
    assert excerpt("<p>前半段<!--more-->后半段</p><p>更多</p>") == "前半段"


def test_text_before_more_is_still_cut() -> None:
    html = "<p>The intro is long enough.</p><!--more--><p>Rest.</p>"
    assert excerpt(html, 10) == "The intro..."


def test_summary_overrides_the_body() -> None:
    html = "<p>Body text.</p>"
    assert excerpt(html, summary="  作者写的\n\t摘要。 ") == "作者写的 摘要。"
    assert excerpt(html, summary="The author's own summary", length=12) == "The author's..."


def test_summary_is_plain_text() -> None:
    assert excerpt("<p>Body</p>", summary="a &amp; <b>b</b>") == "a &amp; <b>b</b>"


@pytest.mark.parametrize("summary", [None, "", "  \n "])
def test_blank_summary_falls_back_to_the_body(summary: str | None) -> None:
    assert excerpt("<p>Body text.</p>", summary=summary) == "Body text."


# Cutting


def test_text_that_fits_has_no_ellipsis() -> None:
    text = "Lorem ipsum dolor"
    assert excerpt(f"<p>{text}</p>", len(text)) == text
    assert excerpt(f"<p>{text}</p>", len(text) - 1) == "Lorem ipsum..."


def test_latin_cut_backs_up_to_the_space() -> None:
    # 12 graphemes end inside "brown".
    assert excerpt("<p>The quick brown fox</p>", 12) == "The quick..."
    # 21 would fit "Lorem ipsum dolor sit", 20 ends inside "sit".
    assert excerpt("<p>Lorem ipsum dolor sit amet consectetur</p>", 20) == "Lorem ipsum dolor..."
    assert excerpt("<p>Lorem ipsum dolor sit amet consectetur</p>", 21) == "Lorem ipsum dolor sit..."


def test_cut_at_a_space_strips_it() -> None:
    assert excerpt("<p>The quick brown fox</p>", 10) == "The quick..."


@pytest.mark.parametrize(
    ("html", "length", "expected"),
    [
        ("<p>We tested Qwen1.5-7B-Chat today</p>", 15, "We tested..."),
        ("<p>We tested Qwen1.5-7B-Chat today</p>", 25, "We tested Qwen1.5-7B-Chat..."),
        ("<p>accuracy reached 84.4% on MMLU</p>", 20, "accuracy reached..."),
        ("<p>about 1,600 posts</p>", 8, "about..."),
        # CJK next to the number allows a cut there, but not inside it.
        ("<p>准确率84.4%，超过基线</p>", 7, "准确率..."),
        ("<p>准确率84.4%，超过基线</p>", 9, "准确率84.4%，..."),
        # No allowed cut before the first word ends: a hard cut.
        ("<p>Prefix-Tuning works</p>", 10, "Prefix-Tun..."),
    ],
)
def test_tokens_are_not_split(html: str, length: int, expected: str) -> None:
    assert excerpt(html, length) == expected


@pytest.mark.parametrize(
    ("text", "length", "expected"),
    [
        ("好的🔖标记", 3, "好的🔖..."),
        ("家庭👨‍👩‍👧合影", 3, "家庭👨‍👩‍👧..."),
        ("国旗🇨🇳🇺🇸", 3, "国旗🇨🇳..."),
        # e + U+0301 is one grapheme: "Café" is 4 long.
        ("Cafe\u0301 au lait", 4, "Cafe\u0301..."),
        ("Cafe\u0301 au lait", 3, "Caf..."),
        # An emoji allows a cut next to it, even between Latin letters.
        ("idea💡here", 6, "idea💡..."),
    ],
)
def test_graphemes_are_never_split(text: str, length: int, expected: str) -> None:
    assert excerpt(f"<p>{text}</p>", length) == expected


def test_placeholder_straddling_the_cut_is_left_out() -> None:
    html = f"<p>Intro</p>{CODE_BLOCK}<p>outro</p>"
    assert excerpt(html, 8, lang="en") == "Intro..."
    assert excerpt(html, 11, lang="en") == "Intro..."
    assert excerpt(html, 12, lang="en") == "Intro [code]..."
    assert excerpt(html, 18, lang="en") == "Intro [code] outro"
    assert excerpt(f"<p>前言</p>{CODE_BLOCK}<p>后记</p>", 5) == "前言..."


def test_cjk_only_text_is_cut_at_exactly_length() -> None:
    text = "今天天气很好我们去公园散步吧"
    assert excerpt(f"<p>{text}</p>", 10) == "今天天气很好我们去公..."
    assert excerpt(f"<p>{text}</p>", 14) == text


def test_over_long_url_is_cut_hard() -> None:
    url = "https://example.com/" + "a" * 500
    assert excerpt(f'<p><a href="{url}">{url}</a> and more</p>', 30) == url[:30] + "..."


def test_ellipsis_is_the_argument() -> None:
    result = make_excerpt(
        "<p>one two three</p>",
        summary=None,
        length=8,
        ellipsis="…",
        code_placeholder="[code]",
        math_placeholder="[formula]",
    )
    assert result == "one two…"


def test_length_must_be_positive() -> None:
    with pytest.raises(ValueError):
        excerpt("<p>a</p>", 0)


def _generated(seed: int) -> str:
    rng = random.Random(seed)
    pieces = [
        "word ", "中文", "，", "e\u0301", "👨‍👩‍👧", "🇨🇳", "84.4% ", "Qwen1.5-7B-Chat", " ", "\n",
        "<p>", "</p>", "<br>", "&amp;", "<em>x</em>", "https://example.com/a/b?c=d ",
        f"{CODE_BLOCK}", f"{DISPLAY_MATH}", '<span class="arithmatex">\\(x_1\\)</span>',
    ]  # fmt: skip
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 120)))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("length", [1, 2, 7, 30, 100])
def test_result_never_exceeds_length_plus_ellipsis(seed: int, length: int) -> None:
    html = _generated(seed)
    whole = excerpt(html, 100_000)
    result = excerpt(html, length)
    if graphemes(whole) <= length:
        assert result == whole
    else:
        kept = result.removesuffix("...")
        assert result.endswith("...")
        assert graphemes(kept) <= length
        assert whole.startswith(kept)


def test_plain_text_is_the_whole_text_by_the_same_rules() -> None:
    html = (
        "<h2>Title</h2><p>One &amp; <a href='x'>two</a>.</p><!--more-->"
        "<pre><code>hidden()</code></pre><p>Three<sup id='fnref:1'>1</sup> "
        "<img alt='no'> four</p>"
    )
    assert plain_text(html) == "Title One & two. Three four"


def test_graphemes_are_the_clusters_the_unicode_rules_give() -> None:
    # Each piece joins a neighbour in some way: marks, joiners, flags, Hangul jamo,
    # variation selectors and skin tones, Indic conjuncts, prepended and spacing marks,
    # CR LF; between them, characters that join nothing.
    pieces = [
        "a", "中", " ", "é", "\u0301", "\u200d", "👨", "👩", "\ufe0f", "\U0001f3fd", "🇨", "🇳",
        "\u1100", "\u1161", "\u11a8", "가", "\u0915", "\u094d", "\u0937", "\u093e", "\u0600",
        "\r", "\n", "\x07", "💡", "ー",
    ]  # fmt: skip
    chooser = random.Random(7)
    for _ in range(3000):
        text = "".join(chooser.choices(pieces, k=chooser.randint(0, 12)))
        assert syndicate.render.excerpt._graphemes(text) == regex.findall(r"\X", text), repr(text)
