"""Generate a synthetic site for benchmarks: `python bench/gen_store.py N DIR [--seed S]`.

DIR becomes a site laid out like examples/site/: DIR/syndicate.toml and the
store DIR/content/ holding N posts (DIR/content/<year>/<date>-<slug>.md) and
a few SVG images (DIR/content/images/). The same N and seed give the same
bytes on every machine. Posts are about 8 KB of Markdown mixing Chinese and
English, with headings, code, tables, inline and display math, images,
links and footnotes; 20 categories, 200 tags, many posts on the same day.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

CONFIG_NAME = "syndicate.toml"
STORE_NAME = "content"
IMAGE_COUNT = 20
TARGET_BYTES = 8 * 1024
LAST_DAY = date(2026, 1, 11)  # every post is dated on or before it: all are published

CATEGORIES = (
    "Deep Learning",
    "强化学习",
    "Systems",
    "自然语言处理",
    "Computer Vision",
    "读书笔记",
    "Python",
    "分布式系统",
    "Databases",
    "编译原理",
    "Statistics",
    "生活随笔",
    "Networking",
    "优化方法",
    "Rust",
    "信息检索",
    "Security",
    "图神经网络",
    "Tooling",
    "研究方法",
)
_TAG_TOPICS = (
    "attention",
    "cnn",
    "transformer",
    "pytorch",
    "asyncio",
    "sqlite",
    "kernel",
    "gpu",
    "llm",
    "rlhf",
    "注意力",
    "卷积",
    "微调",
    "量化",
    "分词",
    "检索",
    "调度",
    "缓存",
    "编码器",
    "损失函数",
)
_TAG_FACETS = (
    "basics",
    "benchmark",
    "debugging",
    "论文笔记",
    "实践",
    "internals",
    "faq",
    "入门",
    "tips",
    "源码",
)
TAGS = tuple(f"{topic} {facet}" for topic in _TAG_TOPICS for facet in _TAG_FACETS)  # 200 tags


def _zipf(count: int, exponent: float) -> list[float]:
    """Cumulative weights: a few categories and tags are common, most are rare."""
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(count)))


_CATEGORY_WEIGHTS = _zipf(len(CATEGORIES), 1.0)
_TAG_WEIGHTS = _zipf(len(TAGS), 0.8)

_ENGLISH_WORDS = (
    "model gradient layer tensor batch loss optimizer network attention head token sequence "
    "embedding kernel cache memory latency throughput scheduler thread process queue buffer "
    "feature vector matrix weight bias activation residual normalization dropout training "
    "inference checkpoint dataset sample label metric accuracy precision recall benchmark "
    "profile compile runtime allocation pointer reference index query shard replica log "
    "request response header stream socket packet window encoder decoder transformer policy "
    "reward value state action episode environment agent estimator variance entropy prior "
    "posterior likelihood regression classifier cluster graph node edge path search sort "
    "hash table tree heap stack frame function closure iterator generator coroutine future "
    "lock barrier signal timer clock epoch step rate schedule warmup decay momentum adaptive "
    "stable simple careful quick robust sparse dense linear convex noisy small large deep"
)
_ENGLISH = tuple(_ENGLISH_WORDS.split())
_CHINESE_WORDS = (
    "模型 梯度 训练 推理 注意力 卷积 损失 优化器 数据集 样本 标签 指标 精度 召回 基准 缓存 内存 延迟 "
    "吞吐 调度 线程 进程 队列 缓冲 特征 向量 矩阵 权重 偏置 激活 残差 归一化 正则化 检查点 分布式 "
    "参数 超参数 学习率 收敛 泛化 过拟合 欠拟合 采样 估计 方差 熵 先验 后验 似然 回归 分类 聚类 "
    "图 节点 边 路径 搜索 排序 哈希 树 堆 栈 函数 闭包 迭代器 生成器 协程 锁 信号 时钟 步长 "
    "其实 然后 因为 所以 但是 如果 这里 那么 我们 需要 可以 注意 一个 这个 问题 方法 实现 结果 "
    "论文 实验 代码 细节 思路 直觉 公式 推导 证明 假设 结论 笔记 总结 复现 调试 记录"
)
_CHINESE = tuple(_CHINESE_WORDS.split())
_EMOJI = ("🔖", "💡", "🚀", "📌", "✅", "🤔")
_LANGUAGES = ("python", "bash", "json", "rust", "sql", "yaml")
_MATH_INLINE = (
    r"$\alpha \cdot x + \beta$",
    r"$O(n \log n)$",
    r"$\mathbb{E}[X] = \mu$",
    r"$\sigma^2 = \frac{1}{n}\sum_i (x_i - \bar{x})^2$",
    r"$W \in \mathbb{R}^{d \times k}$",
    r"$p(y \mid x)$",
    r"$\nabla_\theta J(\theta)$",
)
_MATH_DISPLAY = (
    r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right) V",
    r"V(s) = \max_a \sum_{s'} P(s' \mid s, a) \left[ R(s, a, s') + \gamma V(s') \right]",
    r"\mathcal{L}(\theta) = -\frac{1}{N} \sum_{i=1}^{N} \log p_\theta(y_i \mid x_i)",
    r"y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \cdot \gamma + \beta",
    r"\theta_{t+1} = \theta_t - \eta \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}",
)
_SERIES_INTRO = (
    "这是「从零实现」系列的一篇。This series rebuilds a familiar tool from first principles, "
    "one small step at a time: 先讲直觉，再看公式，最后写代码并做 benchmark。"
    "Every post stands alone, but the notation is shared across the series, "
    "so 如果你是第一次读到这里，建议先看第一篇的约定和记号。"
)


@dataclass(frozen=True)
class Generated:
    posts: int
    site: Path
    config: Path
    store: Path
    seconds: float


class _Writer:
    """Builds the Markdown of posts from a fixed vocabulary; all randomness from one seeded Random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def words(self, count: int) -> str:
        """A phrase that switches between English and Chinese, as the example site's posts do."""
        rng = self.rng
        parts: list[str] = []
        left = count
        while left > 0:
            run = min(left, rng.randint(2, 7))
            if rng.random() < 0.5:
                parts.append(" ".join(rng.choices(_ENGLISH, k=run)))
            else:
                parts.append("".join(rng.choices(_CHINESE, k=run)))
            left -= run
        return " ".join(parts)

    def sentence(self) -> str:
        rng = self.rng
        text = self.words(rng.randint(6, 16))
        roll = rng.random()
        if roll < 0.15:
            text += f" {rng.choice(_MATH_INLINE)}"
        elif roll < 0.25:
            word = rng.choice(_ENGLISH)
            text += f" `{word}_{rng.randint(1, 99)}()`"
        elif roll < 0.33:
            text += f" [{self.words(2)}](https://example.org/{rng.choice(_ENGLISH)}/{rng.randint(1, 999)})"
        elif roll < 0.38:
            text += f" **{self.words(2)}**"
        elif roll < 0.40:
            text += f" {rng.choice(_EMOJI)}"
        return text + rng.choice(("。", ". ", "！", "? ", "；", ". "))

    def paragraph(self) -> str:
        return "".join(self.sentence() for _ in range(self.rng.randint(3, 7))).strip()

    def code(self) -> str:
        rng = self.rng
        language = rng.choice(_LANGUAGES)
        lines = []
        for _ in range(rng.randint(5, 14)):
            name, other = rng.choice(_ENGLISH), rng.choice(_ENGLISH)
            indent = "    " * rng.randint(0, 2)
            lines.append(f"{indent}{name}_{rng.randint(0, 9)} = {other}({rng.randint(0, 512)}, {name!r})")
        return f"```{language}\n" + "\n".join(lines) + "\n```"

    def table(self) -> str:
        rng = self.rng
        columns = rng.randint(3, 5)
        head = "| " + " | ".join(self.words(1) for _ in range(columns)) + " |"
        rule = "|" + "---|" * columns
        rows = []
        for _ in range(rng.randint(3, 8)):
            cells = [f"{rng.random() * 100:.2f}" if c else self.words(2) for c in range(columns)]
            rows.append("| " + " | ".join(cells) + " |")
        return "\n".join([head, rule, *rows])

    def display_math(self) -> str:
        return "$$\n" + self.rng.choice(_MATH_DISPLAY) + "\n$$"

    def image(self) -> str:
        number = self.rng.randrange(IMAGE_COUNT)
        return f"![{self.words(2)}](/images/fig-{number:02d}.svg)"

    def listing(self) -> str:
        return "\n".join(f"- {self.sentence().strip()}" for _ in range(self.rng.randint(3, 6)))

    def quote(self) -> str:
        return "> " + self.paragraph()

    def body(self, series: bool) -> str:
        rng = self.rng
        blocks = [_SERIES_INTRO] if series else []
        blocks += [self.paragraph(), "<!--more-->" if rng.random() < 0.3 else self.paragraph()]
        size = sum(len(b.encode()) for b in blocks)
        target = rng.randint(TARGET_BYTES * 5 // 8, TARGET_BYTES * 9 // 8)
        makers = (self.paragraph, self.paragraph, self.code, self.table, self.display_math, self.listing)
        section = 0
        footnotes = 0
        while size < target:
            section += 1
            block = f"## {section}. {self.words(rng.randint(2, 5))}"
            parts = [block, self.paragraph()]
            for _ in range(rng.randint(1, 3)):
                parts.append(rng.choice(makers)())
            if rng.random() < 0.3:
                parts.append(self.image())
            if rng.random() < 0.1:
                parts.append(self.quote())
            if rng.random() < 0.15:
                footnotes += 1
                parts[1] += f"[^{footnotes}]"
            blocks += parts
            size += sum(len(p.encode()) + 2 for p in parts)
        blocks += [f"[^{n}]: {self.sentence().strip()}" for n in range(1, footnotes + 1)]
        return "\n\n".join(blocks) + "\n"


def _front_matter(fields: list[tuple[str, str]]) -> str:
    return "---\n" + "".join(f"{key}: {value}\n" for key, value in fields) + "---\n"


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def post_text(rng: random.Random, index: int, day: date, when: str | None = None) -> tuple[str, str]:
    """(file name, file text) of post number `index`, dated `day` (or exactly `when`, if given)."""
    writer = _Writer(rng)
    english = rng.choice(_ENGLISH)
    slug = f"{english}-{index:06d}"
    title = f"{writer.words(rng.randint(2, 4))} {english.title()} #{index}"
    if when is None:
        when = day.isoformat()
        if rng.random() < 0.4:
            when += f" {rng.randint(6, 23):02d}:{rng.randint(0, 59):02d}:00"
    category = rng.choices(CATEGORIES, cum_weights=_CATEGORY_WEIGHTS)[0]
    tags = sorted(set(rng.choices(TAGS, cum_weights=_TAG_WEIGHTS, k=rng.randint(1, 5))))
    fields = [("title", _yaml_text(title)), ("date", when), ("category", _yaml_text(category))]
    fields.append(("tags", "[" + ", ".join(_yaml_text(t) for t in tags) + "]"))
    if rng.random() < 0.1:
        fields.append(("updated", (day + timedelta(days=rng.randint(1, 30))).isoformat() + "T12:00:00+08:00"))
    if rng.random() < 0.03:
        fields.append(("summary", _yaml_text(writer.sentence().strip())))
    if rng.random() < 0.01:
        fields.append(("draft", "true"))
    body = writer.body(series=rng.random() < 0.05)
    return f"{day.isoformat()}-{slug}.md", _front_matter(fields) + body


def _image(number: int) -> str:
    hue = number * 360 // IMAGE_COUNT
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180">'
        f'<rect width="320" height="180" fill="hsl({hue},60%,85%)"/>'
        f'<circle cx="160" cy="90" r="{40 + number}" fill="hsl({hue},60%,45%)"/>'
        f'<text x="16" y="168" font-family="sans-serif" font-size="14">fig {number}</text></svg>\n'
    )


def config_text(title: str = "Bench 基准站点") -> str:
    return (
        "# Written by bench/gen_store.py: a synthetic site for benchmarks.\n"
        "[site]\n"
        f'title = "{title}"\n'
        'base_url = "http://127.0.0.1:8000/"\n'
        'author = "Bench Writer"\n'
        'language = "zh-CN"\n'
        'timezone = "Asia/Shanghai"\n'
        'id_authority = "bench.example,2026"\n'
        "\n[store]\n"
        f'path = "{STORE_NAME}"\n'
        "\n[build]\n"
        "interval = 86400  # benchmarks rebuild when they choose to\n"
    )


def generate(posts: int, site: Path, seed: int = 1) -> Generated:
    """Write a site of `posts` posts to `site` (replacing its store); deterministic in (posts, seed)."""
    started = time.perf_counter()
    rng = random.Random(f"{seed}:{posts}")
    store = site / STORE_NAME
    if store.exists():
        shutil.rmtree(store)
    (store / "images").mkdir(parents=True)
    for number in range(IMAGE_COUNT):
        (store / "images" / f"fig-{number:02d}.svg").write_text(_image(number), encoding="utf-8")
    days = max(1, posts // 6)  # about six posts a day: many share a date
    busy_day = LAST_DAY  # and one day with many more, as in the seeds
    for index in range(posts):
        day = busy_day if rng.random() < 0.03 else LAST_DAY - timedelta(days=rng.randrange(days))
        name, text = post_text(rng, index, day)
        folder = store / str(day.year)
        folder.mkdir(exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    config = site / CONFIG_NAME
    config.write_text(config_text(), encoding="utf-8")
    return Generated(posts, site, config, store, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("posts", type=int, help="how many posts")
    parser.add_argument("dir", type=Path, help="the site folder to write (its content/ is replaced)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.posts < 1:
        parser.error("posts must be at least 1")
    made = generate(args.posts, args.dir, args.seed)
    size = sum(p.stat().st_size for p in made.store.rglob("*.md"))
    print(
        f"wrote {made.posts} posts ({size / 2**20:.1f} MiB of Markdown) to {made.store} "
        f"and {made.config} in {made.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
