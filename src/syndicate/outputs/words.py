"""The words the pages show, in the language of each page: the site's, a post's own, a
language listing's. Chinese and English to start; any other language is shown English."""

from __future__ import annotations

from dataclasses import dataclass

from syndicate.languages import primary_subtag


@dataclass(frozen=True)
class Words:
    newer: str
    older: str
    page: str  # "Page {}"
    pagination: str  # the pager's label, for screen readers
    no_posts: str
    category: str  # "Category: {}"
    tag: str
    author: str
    language: str
    updated: str  # before the date a post was updated
    tags: str  # the tag list's label
    also_in: str  # before the links to a post's translations
    subscribe: str
    subscribe_to: str  # "Subscribe · {}": a listing's subscribe page
    all_feeds: str  # the footer's link to the OPML file
    all_feeds_why: str  # and what it is for
    not_found: str
    nothing_here: str
    go_home: str
    what_a_reader_is: str
    copy: str
    copied: str
    follow_in: str
    every_feed: str
    what_opml_is: str
    one_category: str
    one_language: str


ENGLISH = Words(
    newer="Newer",
    older="Older",
    page="Page {}",
    pagination="Pagination",
    no_posts="No posts yet.",
    category="Category: {}",
    tag="Tag: {}",
    author="Author: {}",
    language="Language: {}",
    updated="Updated",
    tags="Tags",
    also_in="Also in:",
    subscribe="Subscribe",
    subscribe_to="Subscribe · {}",
    all_feeds="All feeds (OPML)",
    all_feeds_why=", to subscribe to every category at once",
    not_found="Not found",
    nothing_here="There is no page at this address.",
    go_home="Go to the latest updates",
    what_a_reader_is=(
        "A feed reader is an app or a website that checks the feeds you follow and shows you"
        " their new posts as they appear: give yours a feed's address below, or follow it in a"
        " web reader."
    ),
    copy="Copy",
    copied="Copied",
    follow_in="Follow in",
    every_feed="Every feed at once",
    what_opml_is=(
        "An OPML file lists every feed of the site, each category and tag among them; most"
        " readers import one (look for Import or OPML)."
    ),
    one_category="One category",
    one_language="One language",
)

CHINESE = Words(
    newer="较新",
    older="较早",
    page="第 {} 页",
    pagination="分页",
    no_posts="还没有文章。",
    category="分类：{}",
    tag="标签：{}",
    author="作者：{}",
    language="语言：{}",
    updated="更新于",
    tags="标签",
    also_in="其他语言：",
    subscribe="订阅",
    subscribe_to="订阅 · {}",
    all_feeds="全部订阅源（OPML）",
    all_feeds_why="，一次订阅所有分类",
    not_found="页面不存在",
    nothing_here="这个地址没有页面。",
    go_home="回到最新文章",
    what_a_reader_is=(
        "订阅器（RSS 阅读器）是一个应用或网站：它替你查看你关注的订阅源，有新文章就显示出来。"
        "把下面的订阅源地址交给它，或者在网页订阅器里直接关注。"
    ),
    copy="复制",
    copied="已复制",
    follow_in="在以下订阅器中关注：",
    every_feed="一次订阅全部",
    what_opml_is=(
        "OPML 文件列出本站的所有订阅源，包括每个分类和标签；多数订阅器都能导入（找“导入”或“OPML”）。"
    ),
    one_category="单个分类",
    one_language="单一语言",
)

_BY_LANGUAGE = {"en": ENGLISH, "zh": CHINESE}


def words_for(tag: str) -> Words:
    """The words of a page in the language `tag` (BCP 47), by its primary subtag."""
    return _BY_LANGUAGE.get(primary_subtag(tag), ENGLISH)
