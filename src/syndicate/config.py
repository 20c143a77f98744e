"""Configuration: a TOML file, each key overridable by SYNDICATE_<SECTION>_<KEY>.

Every value is checked at load time; a bad one raises ConfigError with one
line naming the key and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syndicate.languages import language_key, language_tag, primary_subtag

DEFAULT_CONFIG = Path("config/syndicate.toml")
ENV_PREFIX = "SYNDICATE_"


class ConfigError(Exception):
    """A configuration value is wrong; the message is one line."""


@dataclass(frozen=True)
class SiteConfig:
    title: str = "syndicate"
    subtitle: str = ""
    base_url: str = "http://127.0.0.1:8000/"
    author: str = "Anonymous"
    language: str = "en"
    timezone: str = "UTC"
    # RFC 4151 tagging entity: "domain,date", e.g. "example.org,2026".
    id_authority: str = "example.org,2026"


@dataclass(frozen=True)
class StoreConfig:
    path: Path = Path("content")
    # Files larger than these are refused unread; lists, mappings and Markdown lists and
    # quotes nested deeper than max_nesting too. No real post comes near any of them.
    max_post_bytes: int = 5 * 1024 * 1024
    max_asset_bytes: int = 50 * 1024 * 1024
    max_nesting: int = 50


@dataclass(frozen=True)
class Placeholders:
    """What stands for a code block and for display math in an excerpt; empty: not set."""

    code: str = ""
    formula: str = ""


# (language tag in lower case, its placeholders), by tag: excerpt.placeholders.
PlaceholderTable = tuple[tuple[str, Placeholders], ...]
# Under what a site configures; a language with no entry of its own gets English's.
DEFAULT_PLACEHOLDERS: dict[str, Placeholders] = {
    "en": Placeholders("[code]", "[formula]"),
    "zh": Placeholders("[代码]", "[公式]"),
}


@dataclass(frozen=True)
class ExcerptConfig:
    length: int = 350
    ellipsis: str = "..."
    # For posts in site.language (its primary subtag), ahead of `placeholders`; empty: unset.
    code_placeholder: str = ""
    math_placeholder: str = ""
    placeholders: PlaceholderTable = ()


@dataclass(frozen=True)
class FeedConfig:
    limit: int = 20
    content: str = "full"  # "full" or "summary"
    # A post whose file is larger is carried in feeds by its summary and link, never its
    # HTML: a feed stays something every reader can parse (libxml2 refuses a text of over
    # 10 MB) and a post's size is not multiplied by every feed it is in.
    full_max_bytes: int = 256 * 1024
    icon: str = ""
    logo: str = ""
    websub_hubs: tuple[str, ...] = ()  # WebSub hubs told of every changed feed


@dataclass(frozen=True)
class PageConfig:
    per_page: int = 12
    banner: str = "INCOMING TRANSMISSION"
    heading: str = "LATEST UPDATES"


@dataclass(frozen=True)
class BuildConfig:
    interval: int = 60  # seconds between rebuilds
    cache_dir: Path = Path(".cache")  # rendered posts, kept across restarts
    workers: int = 0  # processes for a first build; 0: one per usable CPU, up to 8
    # Seconds a post may take to render: one that takes longer is stopped and skipped.
    render_timeout: int = 30
    # Seconds a server's rebuild may run before it is reported (health, metrics, a log line).
    rebuild_overdue: int = 300


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    # Bounds of a feed's Cache-Control max-age, which follows how often its listing gets
    # new posts (see the README's Caching), seconds.
    feed_max_age_min: int = 900
    feed_max_age_max: int = 21600
    page_max_age: int = 60  # Cache-Control max-age for HTML pages, seconds
    # Full fetches of one feed a client may make beyond one per max-age before a 429 (see
    # syndicate.serve.polling); 0 turns refusing off.
    poll_allowance: int = 10
    # The header the proxy in front puts the client's address in (e.g. X-Forwarded-For);
    # empty: the peer's address, never a header a client could forge.
    forwarded_header: str = ""
    log_format: str = "text"  # "text" or "json" (one object per line)
    access_log: bool = True  # a line per request; off where a proxy in front already logs them
    max_connections: int = 0  # open at once; 0: what the open-file limit allows, up to 10,000
    header_timeout: int = 10  # seconds a connection has to send a request's headers
    # The token /stats/ asks for (Bearer or ?token=); empty: there is no /stats/. Kept out
    # of the repr, which may be logged.
    stats_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    excerpt: ExcerptConfig = field(default_factory=ExcerptConfig)
    feed: FeedConfig = field(default_factory=FeedConfig)
    page: PageConfig = field(default_factory=PageConfig)
    build: BuildConfig = field(default_factory=BuildConfig)
    server: ServerConfig = field(default_factory=ServerConfig)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    @property
    def code_placeholder(self) -> str:
        """The code placeholder of a post in the site's language."""
        return self.placeholders_for(self.site.language).code

    @property
    def math_placeholder(self) -> str:
        return self.placeholders_for(self.site.language).formula

    def placeholders_for(self, language: str) -> Placeholders:
        """The placeholders of a post in `language`, each found on its own: the site's
        code_placeholder and math_placeholder for a post in its language (the same primary
        subtag), else the entry of excerpt.placeholders, or of the defaults, for the longest
        prefix of the post's tag (`zh-hant-tw`, `zh-hant`, `zh`), else English's."""
        excerpt = self.excerpt
        subtags = language_key(language).split("-")
        prefixes = ["-".join(subtags[:end]) for end in range(len(subtags), 0, -1)]
        table = dict(excerpt.placeholders)
        found = [
            entry
            for key in [*prefixes, "en"]
            for entry in (table.get(key), DEFAULT_PLACEHOLDERS.get(key))
            if entry is not None
        ]
        if subtags[0] == primary_subtag(self.site.language):
            found.insert(0, Placeholders(excerpt.code_placeholder, excerpt.math_placeholder))
        return Placeholders(
            next(entry.code for entry in found if entry.code),
            next(entry.formula for entry in found if entry.formula),
        )


# BCP 47's syntax as XML and Atom check it (RFC 3066's): subtags of letters and digits.
def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file (if any), apply environment overrides, validate."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    base_dir = Path.cwd()
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config file: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        base_dir = path.resolve().parent  # relative paths in the file are relative to it

    sections: dict[str, Any] = {}
    for section in dataclasses.fields(Config):
        section_type = _section_type(section)
        values = raw.pop(section.name, {})
        if not isinstance(values, dict):
            raise ConfigError(f"[{section.name}]: expected a table")
        sections[section.name] = _load_section(section.name, section_type, values, environ, base_dir)
    for unknown in raw:
        raise ConfigError(f"[{unknown}]: unknown section")
    ours = tuple(f"{ENV_PREFIX}{section.name.upper()}_" for section in dataclasses.fields(Config))
    for name in environ:
        # Only names under a section of ours: Kubernetes, for one, sets SYNDICATE_SERVICE_HOST
        # and SYNDICATE_PORT for a Service called "syndicate".
        if name.startswith(ours) and not _env_known(name):
            raise ConfigError(f"{name}: unknown setting in the environment")
    server = sections["server"]
    if server.feed_max_age_min > server.feed_max_age_max:
        raise ConfigError(
            f"server.feed_max_age_min: {server.feed_max_age_min} is more than"
            f" server.feed_max_age_max ({server.feed_max_age_max})"
        )
    return Config(**sections)


def _section_type(section: dataclasses.Field[Any]) -> type:
    hints = typing.get_type_hints(Config)
    return typing.cast(type, hints[section.name])


def _env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section.upper()}_{key.upper()}"


def _env_known(name: str) -> bool:
    for section in dataclasses.fields(Config):
        for key in dataclasses.fields(_section_type(section)):
            if _env_name(section.name, key.name) == name:
                return True
    return False


def _load_section(
    section: str,
    section_type: type,
    values: dict[str, Any],
    environ: Mapping[str, str],
    base_dir: Path,
) -> Any:
    hints = typing.get_type_hints(section_type)
    known = {f.name for f in dataclasses.fields(section_type)}
    defaults = {f.name: f.default for f in dataclasses.fields(section_type)}
    for key in values:
        if key not in known:
            raise ConfigError(f"{section}.{key}: unknown key")
    result: dict[str, Any] = {}
    for key in known:
        name = f"{section}.{key}"
        env_name = _env_name(section, key)
        if env_name in environ:
            value: Any = _from_env(name, hints[key], environ[env_name])
        elif key in values:
            value = values[key]
        elif hints[key] is Path:
            value = str(defaults[key])  # relative to the file, like a path written in it
        else:
            continue
        value = _check_type(name, hints[key], value)
        if hints[key] is Path and not value.is_absolute():
            value = Path(os.path.normpath(base_dir / value))
        check = _CHECKS.get(name)
        if check is not None:
            check(name, value)
        if name == "site.base_url" and not value.endswith("/"):
            value += "/"
        result[key] = value
    return section_type(**result)


_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", Path: "a path"}


def _from_env(name: str, expected: Any, text: str) -> Any:
    if expected is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name}: expected an integer, got {text!r}") from None
    if expected is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}: expected true or false, got {text!r}")
    if _is_str_list(expected):
        return [item.strip() for item in text.split(",") if item.strip()]
    if expected == PlaceholderTable:
        try:
            return tomllib.loads(f"table = {text}")["table"]
        except tomllib.TOMLDecodeError:
            example = '{ fr = { code = "[code]", formula = "[formule]" } }'
            raise ConfigError(
                f"{name}: expected a TOML inline table such as {example}, got {text!r}"
            ) from None
    return text


def _is_str_list(expected: Any) -> bool:
    return typing.get_origin(expected) in (list, tuple) and typing.get_args(expected)[0] is str


def _check_type(name: str, expected: Any, value: Any) -> Any:
    if _is_str_list(expected):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name}: expected a list of strings, got {value!r}")
        return tuple(value)
    if expected == PlaceholderTable:
        return _placeholder_table(name, value)
    if expected is Path:
        if not isinstance(value, str | Path) or str(value) == "":
            raise ConfigError(f"{name}: expected a path, got {value!r}")
        return Path(value)
    if isinstance(expected, types.UnionType):
        raise TypeError(f"unsupported config type for {name}")
    # bool is an int in Python; keep them apart.
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{name}: expected an integer, got {value!r}")
    if not isinstance(value, expected):
        raise ConfigError(f"{name}: expected {_TYPE_NAMES.get(expected, expected)}, got {value!r}")
    return value


def _placeholder_table(name: str, value: Any) -> PlaceholderTable:
    """A table of language tags, each to a table of `code` and `formula` (either may be left
    out), as a tuple sorted by tag in lower case."""
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: expected a table of language tags, got {value!r}")
    entries: dict[str, Placeholders] = {}
    for language, texts in value.items():
        key = f"{name}.{language}"
        if language_tag(language) is None:
            raise ConfigError(f"{key}: expected a language tag such as 'zh' or 'zh-TW', got {language!r}")
        if not isinstance(texts, dict):
            raise ConfigError(f"{key}: expected a table of code and formula, got {texts!r}")
        for field_name, text in texts.items():
            if field_name not in ("code", "formula"):
                raise ConfigError(f"{key}.{field_name}: unknown key (code, formula)")
            if not isinstance(text, str):
                raise ConfigError(f"{key}.{field_name}: expected a string, got {text!r}")
        if language_key(language) in entries:
            raise ConfigError(f"{key}: the same language as another entry (tags ignore case)")
        entries[language_key(language)] = Placeholders(**texts)
    return tuple(sorted(entries.items()))


def _check_base_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: expected an absolute http(s) URL, got {value!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name}: expected a URL without query or fragment, got {value!r}")


def _each_url(name: str, values: tuple[str, ...]) -> None:
    for value in values:
        _check_base_url(name, value)


def _check_timezone(name: str, value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name}: expected an IANA time zone such as 'Asia/Shanghai', got {value!r}"
        ) from None


_AUTHORITY = re.compile(r"^[A-Za-z0-9.-]+(@[A-Za-z0-9.-]+)?,\d{4}(-\d{2}(-\d{2})?)?$")


def _check_authority(name: str, value: str) -> None:
    if not _AUTHORITY.match(value):
        raise ConfigError(f"{name}: expected 'domain,YYYY' or 'domain,YYYY-MM-DD' (RFC 4151), got {value!r}")


def _positive(name: str, value: int) -> None:
    if value <= 0:
        raise ConfigError(f"{name}: expected a positive integer, got {value}")


def _not_negative(name: str, value: int) -> None:
    if value < 0:
        raise ConfigError(f"{name}: expected zero or more, got {value}")


def _one_of(*choices: str) -> Callable[[str, str], None]:
    def check(name: str, value: str) -> None:
        if value not in choices:
            raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")

    return check


def _port(name: str, value: int) -> None:
    if not 0 <= value <= 65535:
        raise ConfigError(f"{name}: expected a port from 0 to 65535, got {value}")


def _non_empty(name: str, value: str) -> None:
    if not value.strip():
        raise ConfigError(f"{name}: expected a non-empty string")


MIN_TOKEN = 16  # characters of server.stats_token


def _token(name: str, value: str) -> None:
    # Never shown in the message: it is a secret, and error lines end up in logs.
    if value and len(value) < MIN_TOKEN:
        raise ConfigError(
            f"{name}: expected at least {MIN_TOKEN} characters (or empty for no /stats/), got {len(value)};"
            " make one with: python -c 'import secrets; print(secrets.token_urlsafe())'"
        )
    if value and not all("!" <= c <= "~" for c in value):
        raise ConfigError(f"{name}: expected printable ASCII without spaces (a token for a header or URL)")


_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "site.title": _non_empty,
    "site.author": _non_empty,
    "site.language": _non_empty,
    "site.base_url": _check_base_url,
    "site.timezone": _check_timezone,
    "site.id_authority": _check_authority,
    "excerpt.length": _positive,
    "feed.limit": _positive,
    "feed.content": _one_of("full", "summary"),
    "feed.full_max_bytes": _positive,
    "feed.websub_hubs": _each_url,
    "page.per_page": _positive,
    "store.max_post_bytes": _positive,
    "store.max_asset_bytes": _positive,
    "store.max_nesting": _positive,
    "build.interval": _positive,
    "build.workers": _not_negative,
    "build.render_timeout": _positive,
    "build.rebuild_overdue": _positive,
    "server.port": _port,
    "server.feed_max_age_min": _not_negative,
    "server.feed_max_age_max": _not_negative,
    "server.page_max_age": _not_negative,
    "server.poll_allowance": _not_negative,
    "server.log_format": _one_of("text", "json"),
    "server.max_connections": _not_negative,
    "server.header_timeout": _positive,
    "server.stats_token": _token,
}
