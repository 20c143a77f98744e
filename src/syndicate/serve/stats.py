"""`/stats/`: the author's page of who reads the feeds, made from the Audience.

Subscribers per feed and per reader, a chart of the last days drawn here as inline SVG (no
script), and how each reader polls. The page is plain HTML with no inline style, which the
pages' Content-Security-Policy would refuse: the chart is drawn with presentation attributes
only, in `currentColor` where it follows the stylesheet's light or dark text. `render` is a
pure function of what `gather` read, so the same counts give the same bytes.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

from syndicate.config import Config
from syndicate.serve.audience import HISTORY_DAYS, Audience, Behaviour, Requests
from syndicate.urls import absolute

STATS_PATH = "/stats/"
TOP_FEEDS = 5  # feeds drawn each as a line; the rest are summed as one
OTHER = "other"

# Okabe and Ito's palette, told apart with most colour blindness, legible on light and dark.
_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00")
_OTHER_COLOUR = "#999999"
_WIDTH, _HEIGHT = 720, 280  # the plot's viewBox, legend below it
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 16, 40
_LEGEND_ROW = 20
_DATE_LABELS = 5


def authorized(authorization: str | None, query_token: str | None, token: str) -> bool:
    """Whether a request carries `token`, as `Authorization: Bearer <token>` or `?token=`.
    Each offered value is compared in constant time, and both are always compared."""
    expected = token.encode()
    offered: list[str] = []
    if authorization is not None:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            offered.append(credentials.strip())
    if query_token is not None:
        offered.append(query_token)
    matches = [hmac.compare_digest(value.encode("utf-8", "replace"), expected) for value in offered]
    return any(matches)


@dataclass(frozen=True, slots=True)
class Series:
    name: str  # a feed's path, or OTHER
    values: tuple[int, ...]  # one a day, oldest first
    colour: str


@dataclass(frozen=True, slots=True)
class Stats:
    """What the page shows, read from the Audience at one moment."""

    subscribers: dict[tuple[str, str], int]  # (feed, reader) -> subscribers
    days: tuple[date, ...]
    series: tuple[Series, ...]
    behaviour: dict[str, Behaviour]
    requests: dict[str, Requests]


def gather(audience: Audience, now: datetime | None = None) -> Stats:
    subscribers = audience.subscribers(now)
    history = audience.history(HISTORY_DAYS, now)
    days = tuple(day for day, _ in next(iter(history.values()), []))
    return Stats(subscribers, days, chart_series(history), audience.behaviour(now), audience.requests())


def chart_series(history: dict[str, list[tuple[date, int]]]) -> tuple[Series, ...]:
    """The `TOP_FEEDS` feeds with most subscribers on the last day (then at their peak, then
    by path), and the others summed as OTHER when there are more."""
    ranked = sorted(
        history, key=lambda feed: (-history[feed][-1][1], -max(n for _, n in history[feed]), feed)
    )
    top, rest = ranked[:TOP_FEEDS], ranked[TOP_FEEDS:]
    series = [
        Series(feed, tuple(n for _, n in history[feed]), colour)
        for feed, colour in zip(top, _COLOURS, strict=False)
    ]
    if rest:
        summed = tuple(
            sum(day) for day in zip(*([n for _, n in history[feed]] for feed in rest), strict=True)
        )
        series.append(Series(OTHER, summed, _OTHER_COLOUR))
    return tuple(series)


def render(stats: Stats, config: Config) -> bytes:
    """The whole HTML page."""
    base = config.site.base_url
    title = f"Readers · {config.site.title}"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(config.site.language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="robots" content="noindex, nofollow">',
        f"<title>{_e(title)}</title>",
        f'<link rel="stylesheet" href="{_e(absolute(base, "/style.css"))}">',
        f'<link rel="icon" type="image/svg+xml" href="{_e(absolute(base, "/favicon.svg"))}">',
        "</head>",
        "<body>",
        "<header>",
        f'<p class="site-title"><a href="{_e(absolute(base, "/"))}">{_e(config.site.title)}</a></p>',
        "</header>",
        "<main>",
        "<h1>Readers</h1>",
    ]
    if not stats.subscribers and not stats.requests:
        parts.append('<p class="empty">No feed has been requested yet.</p>')
    else:
        parts += _subscriber_sections(stats.subscribers)
        parts += _history_section(stats.days, stats.series)
        parts += _behaviour_section(stats.behaviour, stats.requests)
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts).encode("utf-8")


# Subscribers


def _subscriber_sections(subscribers: dict[tuple[str, str], int]) -> list[str]:
    parts = ["<h2>Subscribers</h2>"]
    if not subscribers:
        return [*parts, '<p class="empty">No subscribers counted in the last 7 days.</p>']
    parts.append(
        '<p class="lede">An aggregator\'s latest count, else the most distinct clients of one day'
        " in the last 7 days.</p>"
    )
    parts += _grouped_table("By feed", "Feed", "Readers", _grouped(subscribers, by_feed=True))
    parts += _grouped_table("By reader", "Reader", "Feeds", _grouped(subscribers, by_feed=False))
    return parts


def _grouped(subscribers: dict[tuple[str, str], int], *, by_feed: bool) -> list[tuple[str, int, str]]:
    """(name, total, "part n, part n") for each feed (or reader), most subscribers first."""
    groups: dict[str, dict[str, int]] = {}
    for (feed, reader), count in subscribers.items():
        key, part = (feed, reader) if by_feed else (reader, feed)
        groups.setdefault(key, {})[part] = count
    rows = []
    for key, parts in groups.items():
        ranked = sorted(parts.items(), key=lambda item: (-item[1], item[0]))
        rows.append((key, sum(parts.values()), ", ".join(f"{name} {count:,}" for name, count in ranked)))
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _grouped_table(caption: str, name: str, parts: str, rows: list[tuple[str, int, str]]) -> list[str]:
    lines = [
        "<table>",
        f"<caption>{_e(caption)}</caption>",
        f'<thead><tr><th scope="col">{_e(name)}</th><th scope="col">Subscribers</th>'
        f'<th scope="col">{_e(parts)}</th></tr></thead>',
        "<tbody>",
    ]
    for key, total, detail in rows:
        lines.append(f'<tr><th scope="row">{_e(key)}</th><td>{total:,}</td><td>{_e(detail)}</td></tr>')
    return [*lines, "</tbody>", "</table>"]


# The chart


def _history_section(days: tuple[date, ...], series: tuple[Series, ...]) -> list[str]:
    parts = [f"<h2>The last {len(days)} days</h2>" if len(days) != 1 else "<h2>Today</h2>"]
    if not days or not series:
        return [*parts, '<p class="empty">No subscribers counted yet.</p>']
    return [
        *parts,
        chart_svg(days, series),
        "<details>",
        "<summary>The chart's numbers</summary>",
        *_history_table(days, series),
        "</details>",
    ]


def chart_svg(days: tuple[date, ...], series: tuple[Series, ...]) -> str:
    """An inline SVG: one polyline per series over `days`, axes, dates and values, a legend."""
    scale = _scale(max(max(s.values) for s in series))
    height = _HEIGHT + _LEGEND_ROW * len(series) + 8
    x = _x_positions(len(days))
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}"'
            f' height="{height}" role="img" aria-labelledby="chart-title chart-desc"'
            ' font-family="system-ui, sans-serif" font-size="12" fill="currentColor">',
            '<title id="chart-title">Subscribers a day, by feed</title>',
            f'<desc id="chart-desc">{_e(_description(days, series))}</desc>',
            *_value_axis(scale),
            *_date_axis(days, x),
            *(line for s in series for line in _series_line(s, x, scale[-1])),
            *(line for row, s in enumerate(series) for line in _legend_row(s, row)),
            "</svg>",
        ]
    )


def _y(value: int, top: int) -> float:
    return _TOP + (_HEIGHT - _TOP - _BOTTOM) * (1 - value / top)


def _value_axis(scale: list[int]) -> list[str]:
    """A faint line across the plot at each value of `scale`, the one at 0 darker."""
    lines = []
    for value in scale:
        level = _n(_y(value, scale[-1]))
        lines.append(
            f'<line x1="{_LEFT}" y1="{level}" x2="{_WIDTH - _RIGHT}" y2="{level}" stroke="currentColor"'
            f' stroke-opacity="{0.6 if value == 0 else 0.15}"/>'
        )
        lines.append(f'<text x="{_LEFT - 6}" y="{level}" text-anchor="end" dy="0.35em">{value:,}</text>')
    return lines


def _date_axis(days: tuple[date, ...], x: list[float]) -> list[str]:
    baseline = _HEIGHT - _BOTTOM
    labelled = _label_indexes(len(days))
    lines = []
    for index in labelled:
        at = _n(x[index])
        anchor = _anchor(index, labelled[-1])
        lines.append(
            f'<line x1="{at}" y1="{baseline}" x2="{at}" y2="{baseline + 4}"'
            ' stroke="currentColor" stroke-opacity="0.6"/>'
        )
        lines.append(
            f'<text x="{at}" y="{baseline + 18}" text-anchor="{anchor}">{days[index].isoformat()}</text>'
        )
    return lines


def _series_line(s: Series, x: list[float], top: int) -> list[str]:
    """The series' polyline, and a dot at its last day's value (a single day is a dot only)."""
    points = " ".join(f"{_n(x[i])},{_n(_y(value, top))}" for i, value in enumerate(s.values))
    return [
        f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="2"'
        f' stroke-linejoin="round"{_dashes(s)}/>',
        f'<circle cx="{_n(x[-1])}" cy="{_n(_y(s.values[-1], top))}" r="3" fill="{s.colour}"/>',
    ]


def _legend_row(s: Series, row: int) -> list[str]:
    level = _HEIGHT + row * _LEGEND_ROW
    return [
        f'<line x1="{_LEFT}" y1="{level}" x2="{_LEFT + 24}" y2="{level}" stroke="{s.colour}"'
        f' stroke-width="2"{_dashes(s)}/>',
        f'<text x="{_LEFT + 32}" y="{level}" dy="0.35em">{_e(s.name)}: {s.values[-1]:,}</text>',
    ]


def _dashes(s: Series) -> str:
    return ' stroke-dasharray="6 4"' if s.name == OTHER else ""


def _scale(top: int) -> list[int]:
    """The values marked on the vertical axis, from 0 to a round number at or above `top`,
    in steps of 1, 2 or 5 times a power of ten, at most five of them."""
    if top <= 0:
        return [0, 1]
    power = 10 ** math.floor(math.log10(max(top, 4) / 4))
    step = next(power * k for k in (1, 2, 5, 10) if power * k * 4 >= top)
    return list(range(0, step * math.ceil(top / step) + 1, step))


def _x_positions(count: int) -> list[float]:
    if count == 1:
        return [(_LEFT + _WIDTH - _RIGHT) / 2]
    width = _WIDTH - _LEFT - _RIGHT
    return [_LEFT + width * i / (count - 1) for i in range(count)]


def _label_indexes(count: int) -> list[int]:
    """The days labelled under the axis: the first, the last and a few evenly between."""
    if count <= _DATE_LABELS:
        return list(range(count))
    return sorted({round(k * (count - 1) / (_DATE_LABELS - 1)) for k in range(_DATE_LABELS)})


def _anchor(index: int, last: int) -> str:
    """Where a date's label sits on its tick: the first and last run inward, not past the edges."""
    if last == 0:
        return "middle"
    return "start" if index == 0 else "end" if index == last else "middle"


def _description(days: tuple[date, ...], series: tuple[Series, ...]) -> str:
    span = days[0].isoformat() if len(days) == 1 else f"{days[0].isoformat()} to {days[-1].isoformat()}"
    each = "; ".join(f"{s.name}: {s.values[-1]:,} on the last day, at most {max(s.values):,}" for s in series)
    return f"Subscribers a day from {span}. {each}."


def _history_table(days: tuple[date, ...], series: tuple[Series, ...]) -> list[str]:
    head = "".join(f'<th scope="col">{_e(s.name)}</th>' for s in series)
    lines = [
        "<table>",
        "<caption>Subscribers a day, by feed</caption>",
        f'<thead><tr><th scope="col">Day</th>{head}</tr></thead>',
        "<tbody>",
    ]
    for index, day in enumerate(days):
        cells = "".join(f"<td>{s.values[index]:,}</td>" for s in series)
        lines.append(f'<tr><th scope="row">{day.isoformat()}</th>{cells}</tr>')
    return [*lines, "</tbody>", "</table>"]


# How readers poll


def _behaviour_section(behaviour: dict[str, Behaviour], requests: dict[str, Requests]) -> list[str]:
    parts = ["<h2>How readers poll</h2>"]
    if not behaviour:
        return [*parts, '<p class="empty">No feed requests in the last 7 days.</p>']
    days = max(b.days for b in behaviour.values())
    lines = [
        *parts,
        "<table>",
        f"<caption>Over the last {days} day{'s' if days != 1 else ''}; requests in all since the"
        " counts began</caption>",
        '<thead><tr><th scope="col">Reader</th><th scope="col">Requests a day</th>'
        '<th scope="col">Conditional</th><th scope="col">Median time between polls</th>'
        '<th scope="col">Refused (429)</th><th scope="col">Requests in all</th></tr></thead>',
        "<tbody>",
    ]
    for name, b in sorted(behaviour.items(), key=lambda item: (-item[1].requests_per_day, item[0])):
        total = requests.get(name)
        lines.append(
            f'<tr><th scope="row">{_e(name)}</th><td>{b.requests_per_day:,.1f}</td>'
            f"<td>{_share(b.conditional_share)}</td><td>{_duration(b.median_poll_seconds)}</td>"
            f"<td>{b.refused:,}</td><td>{total.total if total else 0:,}</td></tr>"
        )
    return [*lines, "</tbody>", "</table>"]


def _share(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _n(value: float) -> str:
    """A coordinate, rounded so that the same data always gives the same text."""
    return f"{value:.1f}".removesuffix(".0")


def _e(text: str) -> str:
    return escape(text, quote=True)
