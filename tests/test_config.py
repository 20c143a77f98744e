"""Configuration: the TOML file, environment overrides, one-line errors."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

from syndicate.config import Config, ConfigError, load_config


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    config = load_config(None, {})
    assert config.site.base_url == "http://127.0.0.1:8000/"
    assert config.excerpt.length == 350
    assert (config.code_placeholder, config.math_placeholder) == ("[code]", "[formula]")


def test_bundled_default_file_names_every_key() -> None:
    raw = tomllib.loads((REPO / "config" / "syndicate.toml").read_text(encoding="utf-8"))
    for section in dataclasses.fields(Config):
        keys = {f.name for f in dataclasses.fields(getattr(Config(), section.name))}
        assert set(raw[section.name]) == keys, section.name
    load_config(REPO / "config" / "syndicate.toml", {})


def test_file_values_and_relative_store_path(tmp_path: Path) -> None:
    path = config_file(
        tmp_path,
        '[site]\nbase_url = "https://blog.example/sub"\nlanguage = "zh-CN"\n[store]\npath = "posts"\n',
    )
    config = load_config(path, {})
    assert config.site.base_url == "https://blog.example/sub/"  # always ends with "/"
    assert config.store.path == tmp_path / "posts"
    assert config.build.cache_dir == tmp_path / ".cache"  # defaults are relative to the file too
    assert (config.code_placeholder, config.math_placeholder) == ("[代码]", "[公式]")


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[site]\ntitle = "From file"\n[feed]\nlimit = 5\n')
    config = load_config(
        path,
        {
            "SYNDICATE_SITE_TITLE": "From env",
            "SYNDICATE_FEED_LIMIT": "7",
            "SYNDICATE_BUILD_WORKERS": "3",
            "SYNDICATE_STORE_PATH": "/srv/content",
            "SYNDICATE_FEED_WEBSUB_HUBS": "https://hub.example/, https://other.example/hub",
            "UNRELATED": "x",
            "SYNDICATE_SERVICE_HOST": "10.0.0.1",  # what Kubernetes sets for a Service "syndicate"
            "SYNDICATE_PORT": "tcp://10.0.0.1:80",
        },
    )
    assert config.feed.websub_hubs == ("https://hub.example/", "https://other.example/hub")
    assert (config.site.title, config.feed.limit, config.store.path) == ("From env", 7, Path("/srv/content"))
    assert config.build.workers == 3


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        ("[site]\ncolour = 1\n", {}, "site.colour: unknown key"),
        ("[sight]\n", {}, "[sight]: unknown section"),
        ('[site]\nbase_url = "blog.example"\n', {}, "site.base_url: expected an absolute http(s) URL"),
        ('[site]\nbase_url = "ftp://x/"\n', {}, "site.base_url: expected an absolute http(s) URL"),
        ('[site]\ntimezone = "Mars/Olympus"\n', {}, "site.timezone: expected an IANA time zone"),
        ("[excerpt]\nlength = -1\n", {}, "excerpt.length: expected a positive integer"),
        ('[excerpt]\nlength = "ten"\n', {}, "excerpt.length: expected an integer"),
        ("[feed]\nlimit = true\n", {}, "feed.limit: expected an integer"),
        ('[feed]\ncontent = "most"\n', {}, "feed.content: expected one of full, summary"),
        ('[site]\nid_authority = "example.org"\n', {}, "site.id_authority: expected 'domain,YYYY'"),
        ("[build]\nworkers = -2\n", {}, "build.workers: expected zero or more"),
        ("", {"SYNDICATE_BUILD_RENDER_TIMEOUT": "0"}, "build.render_timeout: expected a positive integer"),
        ("[build]\nrebuild_overdue = 0\n", {}, "build.rebuild_overdue: expected a positive integer"),
        ("", {"SYNDICATE_SERVER_PORT": "eighty"}, "server.port: expected an integer"),
        ("", {"SYNDICATE_SERVER_PORT": "70000"}, "server.port: expected a port"),
        ("", {"SYNDICATE_SITE_COLOUR": "red"}, "SYNDICATE_SITE_COLOUR: unknown setting"),
        ("title = [", {}, "not valid TOML"),
        (
            '[feed]\nwebsub_hubs = "https://hub.example/"\n',
            {},
            "feed.websub_hubs: expected a list of strings",
        ),
        ('[feed]\nwebsub_hubs = ["hub"]\n', {}, "feed.websub_hubs: expected an absolute http(s) URL"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config_file(tmp_path, text), environ)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", {})


def test_cli_reports_a_bad_config_in_one_line(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[site]\nbase_url = "not a url"\n')
    done = subprocess.run(
        [sys.executable, "-m", "syndicate.cli", "check", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "syndicate: error: site.base_url: expected an absolute http(s) URL, got 'not a url'"
    ]


def test_readme_documents_every_key() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for section in dataclasses.fields(Config):
        for key in dataclasses.fields(getattr(Config(), section.name)):
            assert f"`{section.name}.{key.name}`" in readme
            assert f"`SYNDICATE_{section.name.upper()}_{key.name.upper()}`" in readme
