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

from syndicate.posts import Post, Problem
from syndicate.urls import slugify
from syndicate.xmlchars import strip_forbidden

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
    }
)


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


_DATED_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-")
_SLUG = re.compile(r"^[\w][\w.-]*$")
_ATX_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)


def parse_post(
    source: str, data: bytes, *, author: str, language: str, timezone: tzinfo
) -> tuple[Post | None, list[Problem]]:
    """Parse the file at store-relative path `source`; defaults come from the site."""
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(source, line, "not valid UTF-8 (save the file as UTF-8)")]

    try:
        fields, body = _split_front_matter(text)
    except _SourceError as exc:
        return None, [Problem(source, exc.line, exc.message)]

    problems = [
        Problem(source, _line_of(text, key), f"unknown field '{key}' (kept; a typo?)", "warning")
        for key in fields
        if key not in KNOWN_FIELDS
    ]
    try:
        post = _make_post(source, data, fields, body, author, language, timezone)
    except _FieldError as exc:
        return None, [*problems, Problem(source, _line_of(text, exc.key), str(exc))]
    if post is None:
        return None, [*problems, Problem(source, 1, "no title: add a 'title' field or a '# Heading'")]
    return post, problems


def body_of(data: bytes) -> str:
    """The Markdown body of a post file that parse_post accepted, as its Post would hold it."""
    fence, raw, body = _split_fences(_decode(data))
    if not body.lstrip().startswith("#"):  # only a heading that opens the post is ever dropped
        return body
    if _text(_parse_fields(fence, raw), "title") is None:
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


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split a post into its front matter fields and its Markdown body."""
    fence, raw, body = _split_fences(text)
    return _parse_fields(fence, raw), body


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


def _parse_fields(fence: str, raw: str) -> dict[str, Any]:
    if not fence:
        return {}
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
    except yaml.YAMLError as exc:
        raise _SourceError(1, f"bad YAML front matter: {exc}".replace("\n", " ")) from None
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


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"^[ \t]*['\"]?{re.escape(key)}['\"]?[ \t]*[:=]", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


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
        lang=_text(fields, "lang") or language,
        image=_text(fields, "image"),
        body=body,
        digest=hashlib.sha256(data).hexdigest(),
        extra={key: value for key, value in fields.items() if key not in KNOWN_FIELDS},
    )


def _title_from_heading(body: str) -> tuple[str | None, str]:
    match = _ATX_HEADING.search(body)
    if match is None:
        return None, body
    if body[: match.start()].strip() == "":  # the heading opens the post: don't show it twice
        body = body[match.end() :].lstrip("\n")
    return match.group(1).strip(), body


def _text(fields: dict[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _FieldError(key, f"'{key}' must be text, got {_describe(value)}")
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
        raise _FieldError("tags", f"'tags' must be a list of text, got {_describe(value)}")
    tags: list[str] = []
    for item in value:
        tag = " ".join(str(item).split())
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def _bool(fields: dict[str, Any], key: str) -> bool:
    value = fields.get(key, False)
    if not isinstance(value, bool):
        raise _FieldError(key, f"'{key}' must be true or false, got {_describe(value)}")
    return value


def _slug(fields: dict[str, Any], source: str) -> str:
    given = _text(fields, "slug")
    if given is not None:
        if not _SLUG.match(given):
            raise _FieldError(
                "slug", f"'slug' may hold only letters, digits, '-', '_' and '.', got {given!r}"
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
            key, f"'{key}' is not a valid date: {value!r} (expected YYYY-MM-DD or an ISO 8601 date-time)"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone)
    return parsed


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


def _describe(value: Any) -> str:
    kind = {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value))
    return kind or repr(value)
