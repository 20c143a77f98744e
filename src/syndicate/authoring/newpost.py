"""`syndicate new`: a post skeleton in the store, and what writing post files needs.

`post_text` (front matter plus body) and `existing_posts` (what a folder already
holds) are shared with `syndicate import`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import yaml

from syndicate.config import Config
from syndicate.posts import Post
from syndicate.source.frontmatter import parse_post
from syndicate.source.safefile import Refused, read_regular
from syndicate.urls import slugify, unfit_slug

PLACEHOLDER = "Write the post here. Text above a `<!--more-->` line, if there is one, is the excerpt.\n"
# File names are limited to 255 bytes; a slug of CJK text takes three bytes a letter.
_SLUG_BYTES = 150


class _Dumper(yaml.SafeDumper):
    """Safe YAML whose dates are RFC 3339 text, written plain so they read as dates."""


def _represent_datetime(dumper: yaml.SafeDumper, value: datetime) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", rfc3339(value))


def _represent_tuple(dumper: yaml.SafeDumper, value: tuple[object, ...]) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(datetime, _represent_datetime)
_Dumper.add_representer(tuple, _represent_tuple)  # tags: [a, b], as people write them


def rfc3339(moment: datetime) -> str:
    """`2019-04-02T10:11:12.345-07:00`: the offset always, fractions only when there are some."""
    if moment.microsecond == 0:
        spec = "seconds"
    elif moment.microsecond % 1000 == 0:
        spec = "milliseconds"
    else:
        spec = "microseconds"
    return moment.isoformat(timespec=spec)


def post_text(fields: Mapping[str, object], body: str) -> str:
    """A post file: YAML front matter between `---` lines, then the body."""
    front = yaml.dump(
        dict(fields),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,  # never fold a long title or summary over lines
    )
    return f"---\n{front}---\n{body}"


def existing_posts(folder: Path, config: Config) -> list[Post]:
    """The posts under `folder` that read without errors, as the store reads them."""
    posts: list[Post] = []
    if not folder.is_dir():
        return posts
    site = config.site
    for path in sorted(folder.rglob("*.md")):
        source = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in source.split("/")):
            continue  # the store skips hidden files and folders too
        try:
            data = read_regular(path, config.store.max_post_bytes, "store.max_post_bytes")
        except (OSError, Refused):  # a FIFO named *.md must not block `new` or `import`
            continue
        post, _ = parse_post(
            source,
            data,
            author=site.author,
            language=site.language,
            timezone=config.tz,
            max_nesting=config.store.max_nesting,
        )
        if post is not None:
            posts.append(post)
    return posts


def short_slug(text: str) -> str:
    """`slugify(text)`, cut to a length every file system takes, and never a name one
    keeps for itself ("con" becomes "con-post")."""
    slug = slugify(text)
    while len(slug.encode()) > _SLUG_BYTES:
        slug = slug[:-1]
    slug = slug.rstrip("-")
    return f"{slug}-post" if slug and unfit_slug(slug) else slug


def free_slug(base: str, taken: Iterable[str]) -> str:
    """`base`, or the first of `base-2`, `base-3`, ... that is not taken."""
    used = set(taken)
    slug, number = base, 1
    while slug in used:
        number += 1
        slug = f"{base}-{number}"
    return slug


def parse_tags(text: str | None) -> tuple[str, ...]:
    """`"a, b,,c"` to `("a", "b", "c")`."""
    tags: list[str] = []
    for item in (text or "").split(","):
        tag = " ".join(item.split())
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def new_post(
    config: Config,
    title: str,
    *,
    category: str | None = None,
    tags: str | None = None,
    into: Path | None = None,
    now: datetime | None = None,
) -> int:
    """Write a draft skeleton dated now in the site's time zone; 1 if it would overwrite a file."""
    folder = into if into is not None else config.store.path
    title = " ".join(title.split())
    if not title:
        return _refuse("new: the title is empty")
    moment = (now or datetime.now(UTC)).astimezone(config.tz).replace(microsecond=0)
    day = moment.strftime("%Y-%m-%d")
    base = short_slug(title) or "post"
    path = folder / f"{day}-{base}.md"
    if path.exists():
        return _refuse(f"new: {path} already exists; not overwritten")
    # Another day's post may own the slug already: the store would skip one of the two.
    slug = free_slug(base, (post.slug for post in existing_posts(folder, config)))
    path = folder / f"{day}-{slug}.md"
    fields: dict[str, object] = {"title": title, "date": moment}
    if category and category.strip():
        fields["category"] = " ".join(category.split())
    if tag_list := parse_tags(tags):
        fields["tags"] = tag_list
    fields["draft"] = True
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _refuse(f"new: cannot make the folder {folder}: {exc.strerror or exc}")
    try:
        with path.open("x", encoding="utf-8", newline="\n") as file:
            file.write(post_text(fields, "\n" + PLACEHOLDER))
    except FileExistsError:
        return _refuse(f"new: {path} already exists; not overwritten")
    except OSError as exc:
        return _refuse(f"new: cannot write {path}: {exc.strerror or exc}")
    print(f"wrote {path} (a draft: it stays unpublished until you set 'draft: false')")
    return 0


def _refuse(message: str) -> int:
    print(f"syndicate: error: {message}", file=sys.stderr)
    return 1
