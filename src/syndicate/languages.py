"""Languages as posts name them: BCP 47 tags (`zh-CN`, `en`), and the names a reader knows
them by, in their own language."""

from __future__ import annotations

import re

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
# By primary subtag; a tag not here is shown as it is written.
_NAMES = {
    "ar": "العربية",
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "nl": "Nederlands",
    "pt": "Português",
    "ru": "Русский",
    "zh": "中文",
}


def language_tag(text: str) -> str | None:
    """`text` as a BCP 47 tag, `_` taken for `-` (`zh_TW`, as locales write it); None if it
    is not one (a post's `lang` may be any text)."""
    tag = text.strip().replace("_", "-")
    return tag if _LANGUAGE_TAG.fullmatch(tag) else None


def language_key(text: str) -> str:
    """A tag as tables are looked up by: in lower case (tags ignore case), `_` taken for `-`."""
    return text.strip().replace("_", "-").lower()


def primary_subtag(tag: str) -> str:
    """`zh` of `zh-CN`: what a table of languages by name or by words is keyed by."""
    return language_key(tag).split("-")[0]


def canonical_tag(tag: str) -> str:
    """A BCP 47 tag in its usual case: `zh-CN`, `zh-Hans`, `en`, `sr-Latn-RS` (and `zh-TW`
    for the `zh_TW` of locale names)."""
    first, *rest = tag.replace("_", "-").split("-")
    parts = [first.lower()]
    for part in rest:
        if len(part) == 2:  # a region
            parts.append(part.upper())
        elif len(part) == 4 and part.isalpha():  # a script
            parts.append(part.title())
        else:
            parts.append(part.lower())
    return "-".join(parts)


def language_name(tag: str) -> str:
    """`中文` for `zh-CN`, `English` for `en`: the language's own name for itself."""
    return _NAMES.get(primary_subtag(tag), tag)


def translation_groups(posts: list[tuple[str | None, str, str]]) -> dict[str, tuple[tuple[str, str], ...]]:
    """For each page path of a post that has translations, every version of the text as
    (language tag, page path), itself included, by tag then path. `posts` are (translation,
    language tag, page path) of the published posts; a translation of one post is none."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for translation, tag, path in posts:
        if translation is not None:
            groups.setdefault(translation, []).append((tag, path))
    alternates: dict[str, tuple[tuple[str, str], ...]] = {}
    for members in groups.values():
        if len(members) > 1:
            versions = tuple(sorted(members))
            for _, path in versions:
                alternates[path] = versions
    return alternates
