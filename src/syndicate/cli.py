"""The `syndicate` command: check, build, serve, and import and new for authors."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from syndicate.build.builder import Build, Builder
from syndicate.build.writer import WriteError, check_target, write_build
from syndicate.config import DEFAULT_CONFIG, Config, ConfigError, load_config
from syndicate.posts import Problem
from syndicate.source.store import PostStore, StoreError, StoreResult, create_missing_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="syndicate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="load the store and report every problem")
    _add_config(check)

    build = commands.add_parser("build", help="write the whole site to a folder")
    _add_config(build)
    build.add_argument("--out", type=Path, required=True, help="output folder (replaced atomically)")

    serve = commands.add_parser("serve", help="serve the site and rebuild it on an interval")
    _add_config(serve)
    serve.add_argument("--host", help="address to listen on (default: server.host)")
    serve.add_argument("--port", type=int, help="port to listen on (default: server.port)")
    serve.add_argument(
        "--log-format", choices=("text", "json"), help="text or JSON log lines (default: server.log_format)"
    )

    importer = commands.add_parser(
        "import", help="write the posts of an RSS, Atom or JSON feed into the store"
    )
    _add_config(importer)
    importer.add_argument("source", help="the feed: a file or an http(s) URL")
    importer.add_argument("--into", type=Path, help="folder to write to (default: store.path)")
    importer.add_argument(
        "--max-download-mb",
        type=_positive,
        metavar="MB",
        help="refuse a feed URL that sends more than this many MB (default: 100)",
    )

    new = commands.add_parser("new", help="write a draft post skeleton dated today")
    _add_config(new)
    new.add_argument("title", help="the post's title")
    new.add_argument("--category", help="its category")
    new.add_argument("--tags", help="its tags, separated by commas")
    new.add_argument("--into", type=Path, help="folder to write to (default: store.path)")

    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command in ("check", "build", "serve") and create_missing_store(config.store.path):
            print(
                f"syndicate: {_shown(config.store.path)}/ did not exist: made it, an empty store;"
                ' write a first post with: syndicate new "Title"',
                file=sys.stderr,
            )
        if args.command == "check":
            return _check(config)
        if args.command == "build":
            return _build(config, args.out)
        if args.command == "import":
            from syndicate.authoring.importer import run_import  # imports feedparser only when importing

            return run_import(config, args.source, into=args.into, max_download_mb=args.max_download_mb)
        if args.command == "new":
            from syndicate.authoring.newpost import new_post

            return new_post(config, args.title, category=args.category, tags=args.tags, into=args.into)
        from syndicate.serve.server import serve as run_server  # imports uvicorn only when serving

        return run_server(config, host=args.host, port=args.port, log_format=args.log_format)
    except (ConfigError, StoreError, WriteError) as exc:
        print(f"syndicate: error: {exc}", file=sys.stderr)
        return 2


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_CONFIG, help=f"configuration file (default: {DEFAULT_CONFIG})"
    )


def _check(config: Config) -> int:
    result = PostStore(config).load()
    build = Builder(config, config.build.cache_dir).build(result, datetime.now(UTC))
    _report(config, result, build)
    return 1 if _errors(build.problems) else 0  # the store's, and posts that could not be rendered


def _build(config: Config, out: Path) -> int:
    check_target(out)  # before the work, not after it
    result = PostStore(config).load()
    build = Builder(config, config.build.cache_dir).build(result, datetime.now(UTC))
    _report(config, result, build)
    target = write_build(build, out)
    print(f"wrote {len(build.resources)} files to {out} (-> {target.name})")
    return 0


def _report(config: Config, result: StoreResult, build: Build) -> None:
    for problem in build.problems:  # the store's, and the Build's own (a hidden image)
        print(format_problem(config, problem))
    for kind, slug, names in build.collisions:
        spelled = " and ".join(f"'{name}'" for name in names)
        print(f"{config.store.path}: warning: {kind} names {spelled} share the slug '{slug}': one listing")
    drafts = sum(post.draft for post in result.posts)
    scheduled = sum(not post.draft and post.date > build.made_at for post in result.posts)
    errors = _errors(build.problems)
    warnings = len(build.problems) - errors + len(build.collisions)
    print(
        f"{len(result.posts)} posts ({len(build.published)} published, {drafts} drafts, "
        f"{scheduled} scheduled), {errors} skipped with errors, {warnings} warnings"
    )


def format_problem(config: Config, problem: Problem) -> str:
    """`path:line: severity: message`, the path as a user can open it from here."""
    return f"{_shown(config.store.path / problem.path)}:{problem.line}: {problem.severity}: {problem.message}"


def _shown(path: Path) -> str:
    """`path` as a user can open it from here."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _errors(problems: tuple[Problem, ...]) -> int:
    return sum(problem.severity == "error" for problem in problems)


if __name__ == "__main__":
    sys.exit(main())
