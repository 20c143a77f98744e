"""One source file to one Post: decoding, front matter, field checks.

Pure: bytes in, a Post (or None) and the problems found out. The store
decides which files to read; this module never touches the file system.
"""

from __future__ import annotations

import hashlib
import re
import sys
import tomllib
from datetime import date, datetime, time, tzinfo
from typing import Any

import yaml

from syndicate.config import StoreConfig
from syndicate.languages import canonical_tag
from syndicate.posts import Post, Problem, failure
from syndicate.source.fieldcheck import in_whole_minutes, odd_offset, out_of_range, shown, unfit_value
from syndicate.source.nesting import markdown_too_deep, toml_too_deep, yaml_too_deep
from syndicate.urls import ID_SCHEMES, foreign_scheme, slugify, unfit_slug
from syndicate.xmlchars import describe_char, strip_forbidden, unfit_char

KNOWN_FIELDS = frozenset(
    {
        "title",
        "date",
        "updated",
        "category",
        "tags",
        "author",
        "summary",
        "draft",
        "id",
        "slug",
        "lang",
        "image",
        "feed",
        "translation",
    }
)
_UNKNOWN_SHOWN = 10  # unknown fields of a post warned of one by one; the rest in one line


class _YamlLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML that leaves timestamps as text, so every date goes through one parser.
    libyaml's parser where PyYAML has it (its wheels do): many times faster."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


class _FieldError(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


# Each tag is a listing with its own feeds, each of which carries the post's every tag: n tags
# make n² of output (a 10 KB post with 1,000 tags made 193 MB of feeds). No real post has 100.
MAX_TAGS = 100
_DATED_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-")
_SLUG = re.compile(r"^[\w][\w.-]*$")
# A heading's line, up to its end: its closing '#'s are taken off in Python. Matched by a
# regex, "a lazy text, optional '#'s, spaces" rescans a run of spaces from each of its
# characters, seconds for a 20 KB run. Headings of no text are none.
_ATX_HEADING = re.compile(r"^#{1,6}[ \t]++(?=[^ \t\n])([^\n]*)", re.MULTILINE)


def parse_post(
    source: str,
    data: bytes,
    *,
    author: str,
    language: str,
    timezone: tzinfo,
    max_nesting: int = StoreConfig().max_nesting,
) -> tuple[Post | None, list[Problem]]:
    """Parse the file at store-relative path `source`; defaults come from the site. Whatever
    goes wrong is a problem of this post, never an exception."""
    try:
        return _parse_post(source, data, author, language, timezone, max_nesting)
    except Exception as exc:  # a parser's own failure (RecursionError, MemoryError, ...)
        return None, [Problem(source, 1, f"cannot be read: {failure(exc)}")]


def _parse_post(
    source: str, data: bytes, author: str, language: str, timezone: tzinfo, max_nesting: int
) -> tuple[Post | None, list[Problem]]:
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(source, line, "not valid UTF-8 (save the file as UTF-8)")]

    try:
        fence, raw, body = _split_fences(text)
        fields = _parse_fields(fence, raw, max_nesting)
        _check_body(body, text.count("\n") - body.count("\n"), max_nesting)
    except _SourceError as exc:
        return None, [Problem(source, exc.line, exc.message)]

    lines = _field_lines(raw)
    try:
        _check_fields(fields, max_nesting)
    except _FieldError as exc:
        return None, [Problem(source, lines.get(exc.key, 1), str(exc))]
    unknown = [key for key in fields if key not in KNOWN_FIELDS]
    problems = [
        Problem(source, lines.get(key, 1), f"unknown field {shown(key)} (kept; a typo?)", "warning")
        for key in unknown[:_UNKNOWN_SHOWN]
    ]
    if len(unknown) > _UNKNOWN_SHOWN:  # a line each would flood `check` and /healthz
        more = len(unknown) - _UNKNOWN_SHOWN
        line = lines.get(unknown[_UNKNOWN_SHOWN], 1)
        problems.append(Problem(source, line, f"and {more:,} more unknown fields (kept)", "warning"))
    try:
        post = _make_post(source, data, fields, body, author, language, timezone)
        if post is not None:
            _check_post(post, id_from_name=_text(fields, "id") is None)
    except _FieldError as exc:
        return None, [*problems, Problem(source, lines.get(exc.key, 1), str(exc))]
    if post is None:
        return None, [*problems, Problem(source, 1, "no title: add a 'title' field or a '# Heading'")]
    for key, message in _unlisted(post):
        problems.append(Problem(source, lines.get(key, 1), message, "warning"))
    return post, problems


def body_of(data: bytes) -> str:
    """The Markdown body of a post file that parse_post accepted, as its Post would hold it."""
    fence, raw, body = _split_fences(_decode(data))
    if not body.lstrip().startswith("#"):  # only a heading that opens the post is ever dropped
        return body
    if _text(_parse_fields(fence, raw, None), "title") is None:
        _, body = _title_from_heading(body)
    return body


def _decode(data: bytes) -> str:
    """UTF-8 without a BOM, LF line ends, no character XML forbids."""
    text = data.decode("utf-8-sig")
    return strip_forbidden(text.replace("\r\n", "\n").replace("\r", "\n"))


class _SourceError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _split_fences(text: str) -> tuple[str, str, str]:
    """(the opening fence, the front matter as written, the body); no fence: ("", "", text)."""
    lines = text.split("\n")
    fence = lines[0].rstrip()
    if fence not in ("---", "+++"):
        return "", "", text
    closers = ("---", "...") if fence == "---" else ("+++",)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in closers:
            break
    else:
        raise _SourceError(1, f"front matter opened with '{fence}' is never closed")
    return fence, "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])


def _parse_fields(fence: str, raw: str, max_nesting: int | None) -> dict[str, Any]:
    """The front matter's fields; first, unless `max_nesting` is None (a file that was
    checked already), refused if it nests deeper than that."""
    if not fence:
        return {}
    if max_nesting is not None:
        if fence == "---":
            found = yaml_too_deep(raw, max_nesting, _YamlLoader)
        else:
            found = toml_too_deep(raw, max_nesting)
        if found is not None:
            message = f"front matter nested more than {max_nesting} levels deep (store.max_nesting); not read"
            raise _SourceError(found + 2, message)
    return _parse_yaml(raw) if fence == "---" else _parse_toml(raw)


def _parse_yaml(raw: str) -> dict[str, Any]:
    try:
        fields = yaml.load(raw, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        problem = (exc.problem or "").replace("\n", " ")
        if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
            problem = f"YAML tags that build objects are refused ({problem})"
        raise _SourceError(line, f"bad YAML front matter: {problem}") from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an integer of over 4,300 digits
        raise _SourceError(1, f"bad YAML front matter: {failure(exc)}") from None
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise _SourceError(2, "front matter must be a mapping of 'field: value' lines")
    return {str(key): value for key, value in fields.items()}


def _parse_toml(raw: str) -> dict[str, Any]:
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) + 1 if match else raw.count("\n") + 2  # "at end of document"
        raise _SourceError(line, f"bad TOML front matter: {exc}") from None
    except ValueError as exc:  # an integer of over 4,300 digits
        raise _SourceError(1, f"bad TOML front matter: {failure(exc)}") from None


def _check_body(body: str, lines_before: int, max_nesting: int) -> None:
    found = markdown_too_deep(body, max_nesting)
    if found is not None:
        line, depth = found
        message = f"lists and quotes nested {depth} levels deep, more than store.max_nesting ({max_nesting})"
        raise _SourceError(lines_before + line + 1, message)


# A field's first line in the front matter: `key:` (YAML) or `key =` (TOML), maybe quoted.
# Each part is one pass, no rescans: "a lazy key, spaces, ':'" rescanned a run of spaces
# from each of its characters, minutes for a 50 KB run in a multi-line value.
_FIELD_LINE = re.compile(
    r"""^[ \t]*+(?:"([^"\n]+)"|'([^'\n]+)'|([^\n](?:[^\n:=]*[^\n:= \t])?))[ \t]*+[:=]""", re.MULTILINE
)


def _field_lines(raw: str) -> dict[str, int]:
    """The line of the file each field of the front matter `raw` is on, found in one pass
    (searching once per field took minutes on 20,000 unknown fields)."""
    lines: dict[str, int] = {}
    line, counted = 2, 0  # the front matter starts on the file's second line
    for match in _FIELD_LINE.finditer(raw):
        line += raw.count("\n", counted, match.start())
        counted = match.start()
        lines.setdefault(match.group(1) or match.group(2) or match.group(3), line)
    return lines


def _check_fields(fields: dict[str, Any], max_nesting: int) -> None:
    """Every field's name and value as written, before any is used."""
    for key, value in fields.items():
        if char := unfit_char(key):
            raise _FieldError(key, f"a field name holds {describe_char(char)}: remove it")
        if reason := unfit_value(value, max_nesting):
            raise _FieldError(key, f"'{key}' {reason}")


def _check_post(post: Post, *, id_from_name: bool) -> None:
    """What the post's fields became (defaults, a title from the body, an id from the file
    name): nothing any output cannot carry."""
    texts = {
        "id": post.id,
        "title": post.title,
        "author": post.author,
        "lang": post.lang,
        "slug": post.slug,
    }
    for key, text in texts.items():
        if char := unfit_char(text):
            where = "the file name (the post's id)" if key == "id" else f"'{key}'"
            raise _FieldError(key, f"{where} holds {describe_char(char)}: remove it")
    if scheme := foreign_scheme(post.id):
        raise _FieldError("id", _foreign_id(post.id, scheme, id_from_name))
    if reason := unfit_slug(post.slug):
        raise _FieldError("slug", f"the slug {shown(post.slug)} {reason}")
    if len(post.tags) > MAX_TAGS:
        raise _FieldError("tags", f"{len(post.tags)} tags, more than a post may have ({MAX_TAGS})")
    names = [("category", post.category), *(("tags", tag) for tag in post.tags), ("author", post.author)]
    for key, name in names:
        slug = slugify(name) if name is not None else ""
        if slug and (reason := unfit_slug(slug)):
            kind = "tag" if key == "tags" else key
            raise _FieldError(key, f"the {kind} {shown(name)} makes the slug {shown(slug)}, which {reason}")


def _unlisted(post: Post) -> list[tuple[str, str]]:
    """(field, why) for each category, tag or author whose name makes no slug (punctuation
    only): the post is published, in no listing of that name."""
    names = [("category", post.category), *(("tags", tag) for tag in post.tags), ("author", post.author)]
    return [
        (
            key,
            f"the {'tag' if key == 'tags' else key} {shown(name)} has no letter or digit to make"
            " its listing's URL: the post is in no listing of it",
        )
        for key, name in names
        if name and not slugify(name)
    ]


def _foreign_id(post_id: str, scheme: str, from_name: bool) -> str:
    # Refused, not replaced by the default tag: URI: the author chose this id so that it
    # would be the entry's id, and a post whose id changes later is a new entry to readers.
    *others, last = (f"{name}:" for name in ID_SCHEMES)
    problem = f"{shown(post_id)} is a {scheme}: URI, not an identifier (feeds publish it as it is)"
    if from_name:
        return f"the file name (the post's id) {problem}: rename the file, or give the post an 'id'"
    return f"'id' {problem}: give a {', '.join(others)} or {last} URI, or an id with no scheme"


def _make_post(
    source: str,
    data: bytes,
    fields: dict[str, Any],
    body: str,
    author: str,
    language: str,
    timezone: tzinfo,
) -> Post | None:
    title = _text(fields, "title")
    if title is None:
        title, body = _title_from_heading(body)
        if title is None:
            return None
    if "date" not in fields:
        raise _FieldError("date", "missing 'date' (YYYY-MM-DD or an ISO 8601 date-time)")
    post_date = _datetime(fields, "date", timezone)
    assert post_date is not None
    updated = _datetime(fields, "updated", timezone)
    if updated is not None and updated < post_date:
        raise _FieldError("updated", "'updated' is earlier than 'date'")
    in_feeds, feed_content = _feed(fields)
    return Post(
        id=_text(fields, "id") or source.removesuffix(".md"),
        source=source,
        slug=_slug(fields, source),
        title=title,
        date=post_date,
        updated=updated,
        category=_name(_text(fields, "category")),
        tags=tuple(sys.intern(tag) for tag in _tags(fields)),
        author=sys.intern(_text(fields, "author") or author),
        summary=_text(fields, "summary"),
        draft=_bool(fields, "draft"),
        lang=canonical_tag(_text(fields, "lang") or language),
        image=_text(fields, "image"),
        in_feeds=in_feeds,
        feed_content=feed_content,
        translation=_text(fields, "translation"),
        body=body,
        digest=hashlib.sha256(data).hexdigest(),
        size=len(data),
        extra={key: value for key, value in fields.items() if key not in KNOWN_FIELDS},
    )


def _title_from_heading(body: str) -> tuple[str | None, str]:
    match = _ATX_HEADING.search(body)
    if match is None:
        return None, body
    if body[: match.start()].strip() == "":  # the heading opens the post: don't show it twice
        body = body[match.end() :].lstrip("\n")
    text = match.group(1).rstrip(" \t")
    bare = text.rstrip("#")
    if bare[-1:] in (" ", "\t"):  # a closing sequence: "# Title ##"
        text = bare
    return text.strip(), body


def _text(fields: dict[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _FieldError(key, f"'{key}' must be text, got {shown(value)}")
    text = " ".join(str(value).split()) if key != "summary" else str(value).strip()
    return text or None


def _name(name: str | None) -> str | None:
    """Names that many posts share are kept once, not once per post."""
    return sys.intern(name) if name is not None else None


def _tags(fields: dict[str, Any]) -> tuple[str, ...]:
    value = fields.get("tags")
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(item, str | int | float) and not isinstance(item, bool) for item in value
    ):
        raise _FieldError("tags", f"'tags' must be a list of text, got {shown(value)}")
    tags: dict[str, None] = {}  # in their order, each once: a list's `in` made 100,000 tags take 77 s
    for item in value:
        if tag := " ".join(str(item).split()):
            tags[tag] = None
    return tuple(tags)


def _bool(fields: dict[str, Any], key: str) -> bool:
    value = fields.get(key, False)
    if not isinstance(value, bool):
        raise _FieldError(key, f"'{key}' must be true or false, got {shown(value)}")
    return value


def _feed(fields: dict[str, Any]) -> tuple[bool, str | None]:
    """`feed`: false keeps the post out of every feed; "full" or "summary" chooses what
    its feed entries carry, whatever `feed.content` says."""
    value = fields.get("feed", True)
    if isinstance(value, bool):
        return value, None
    if value in ("full", "summary"):
        return True, value
    raise _FieldError("feed", f'\'feed\' must be true, false, "full" or "summary", got {shown(value)}')


def _slug(fields: dict[str, Any], source: str) -> str:
    given = _text(fields, "slug")
    if given is not None:
        if not _SLUG.match(given):
            raise _FieldError(
                "slug", f"'slug' may hold only letters, digits, '-', '_' and '.', got {shown(given)}"
            )
        return given
    stem = source.rsplit("/", 1)[-1].removesuffix(".md")
    return slugify(_DATED_NAME.sub("", stem)) or slugify(stem)


def _datetime(fields: dict[str, Any], key: str, timezone: tzinfo) -> datetime | None:
    value = fields.get(key)
    if value is None:
        return None
    parsed = _to_datetime(value)
    if parsed is None:
        raise _FieldError(
            key, f"'{key}' is not a valid date: {shown(value)} (expected YYYY-MM-DD or an ISO 8601 date-time)"
        )
    given = parsed.tzinfo is not None
    if not given:
        parsed = parsed.replace(tzinfo=timezone)
    if reason := out_of_range(parsed) or (odd_offset(parsed) if given else None):
        raise _FieldError(key, f"'{key}' {parsed.isoformat()} {reason}")
    return parsed if given else in_whole_minutes(parsed)


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, time) or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())  # also takes "YYYY-MM-DD" and "Z"
    except ValueError:
        return None
