"""Who reads the feeds: readers named from their User-Agent, counted within fixed bounds."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from syndicate.serve import audience as caps
from syndicate.serve.audience import Audience
from syndicate.serve.readers import (
    MAX_USER_AGENT,
    READER_NAMES,
    SECRET_FILE,
    Reader,
    client_hash,
    identify,
    load_secret,
)
from syndicate.serve.readership import Readership

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SECRET = b"k" * 32
FEED = "/atom.xml"
FEEDLY = "Feedly/1.0 (+http://www.feedly.com/fetcher.html; {} subscribers; )"
NNW = "NetNewsWire (RSS Reader; https://netnewswire.com/)"

# (User-Agent as sent, reader, subscribers, feed id)
KNOWN = [
    ("Feedly/1.0 (+http://www.feedly.com/fetcher.html; 462 subscribers; )", "Feedly", 462, None),
    ("Feedly/1.0 (+https://feedly.com/fetcher.html; 1 subscriber)", "Feedly", 1, None),
    ("Feedly/1.0 (poller; 131 subscribers;)", "Feedly", 131, None),
    (
        "Mozilla/5.0 (compatible; Feedly/1.0; +http://www.feedly.com/fetcher.html; 1 subscribers)",
        "Feedly",
        1,
        None,
    ),
    (
        "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 16 subscribers; like FeedFetcher-Google)",
        "Feedly",
        16,
        None,
    ),
    ("Feedly/1.0 (+http://www.feedly.com/fetcher.html; like FeedFetcher-Google)", "Feedly", None, None),
    ("Inoreader/1.0 (+http://www.inoreader.com/feed-fetcher; 12 subscribers; )", "Inoreader", 12, None),
    ("Mozilla/5.0 (compatible; inoreader.com; 1 subscribers)", "Inoreader", 1, None),
    ("Mozilla/5.0 (compatible; inoreader.com-like FeedFetcher-Google)", "Inoreader", None, None),
    ("Feedbin feed-id:1234 - 5 subscribers", "Feedbin", 5, "1234"),
    ("Feedbin - 1 subscribers", "Feedbin", 1, None),
    (
        "NewsBlur Feed Fetcher - 12 subscribers - https://www.newsblur.com/site/6143/blog "
        '("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) '
        'Version/14.0.1 Safari/605.1.15")',
        "NewsBlur",
        12,
        "6143",
    ),
    ("NewsBlur Feed Fetcher - 1 subscriber - http://www.newsblur.com", "NewsBlur", 1, None),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_1) AppleWebKit/534.48.3 (KHTML, like Gecko) Version/5.1"
        " Safari/534.48.3 (NewsBlur Feed Fetcher - 3 subscribers - http://www.newsblur.com)",
        "NewsBlur",
        3,
        None,
    ),
    (
        "Mozilla/5.0 (compatible; theoldreader.com; 7 subscribers; feed-id=0719795c4d27c784217b0bc0)",
        "The Old Reader",
        7,
        "0719795c4d27c784217b0bc0",
    ),
    ("Mozilla/5.0 (compatible; BazQux/2.4; +https://bazqux.com/fetcher; 3 subscribers)", "BazQux", 3, None),
    ("BazQux/2.4 (+https://bazqux.com/fetcher; 3 subscribers)", "BazQux", 3, None),
    ("Feedspot/1.0 (+https://www.feedspot.com/fs/fetcher; like FeedFetcher-Google)", "Feedspot", None, None),
    (
        "FeedHQ/1.2.3 (https://github.com/feedhq/feedhq; 4 subscribers; "
        "https://github.com/feedhq/feedhq/wiki/User-Agent; like FeedFetcher-Google)",
        "FeedHQ",
        4,
        None,
    ),
    ("Bloglovin/1.0 (http://www.bloglovin.com; 2 subscribers)", "Bloglovin", 2, None),
    (
        "Feedfetcher-Google; (+http://www.google.com/feedfetcher.html; 6 subscribers;"
        " feed-id=728742641706423)",
        "Google Feedfetcher",
        6,
        "728742641706423",
    ),
]

KNOWN.append(("Netvibes (crawler/bot; http://www.netvibes.com", "Netvibes", None, None))

CLIENTS = [
    ("NetNewsWire (RSS Reader; https://netnewswire.com/)", "NetNewsWire"),
    ("Newsboat/2.40.0", "Newsboat"),
    ("newsbeuter rss feedreader 0.1 (http://synflood.at/newsbeuter.html)", "Newsboat"),
    ("Mozilla/5.0 (compatible; Miniflux/2.0.43; +https://miniflux.app)", "Miniflux"),
    ("FreshRSS/1.20.0 (Linux; https://freshrss.org)", "FreshRSS"),
    ("Tiny Tiny RSS/22.05 (Unsupported) (https://tt-rss.org/)", "Tiny Tiny RSS"),
    ("CommaFeed/4.0.0 (https://github.com/Athou/commafeed)", "CommaFeed"),
    ("NextCloud-News/1.0", "Nextcloud News"),
    ("Akregator/5.24.0 (23.08.0); syndication", "Akregator"),
    ("Liferea/1.13.5 (Linux; en_US; https://lzone.de/liferea/)", "Liferea"),
    ("Reeder/5.0 CFNetwork/1410.0.3 Darwin/22.6.0", "Reeder"),
    ("SpaceCowboys Android RSS Reader / 2.13.0(3764)", "Feeder"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.0", "Thunderbird"),
    (
        "Superfeedr bot/2.0 http://superfeedr.com - Make your feeds realtime: get in touch"
        " - feed-id:46271263",
        "Superfeedr",
    ),
    ("Blogtrottr/2.0", "Blogtrottr"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "browser"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
    ("curl/8.5.0", "bot"),
    ("python-requests/2.32.3", "bot"),
    ("SomethingNew/1.0 (+https://example.org)", "other"),
    ("", "other"),
    ("Mozilla/5.0 (compatible)", "other"),
]


@pytest.mark.parametrize(("user_agent", "name", "subscribers", "feed_id"), KNOWN)
def test_aggregators_give_their_name_and_count(
    user_agent: str, name: str, subscribers: int | None, feed_id: str | None
) -> None:
    assert identify(user_agent) == Reader(name, subscribers, feed_id, service=True)


@pytest.mark.parametrize(("user_agent", "name"), CLIENTS)
def test_other_readers_are_named_without_a_count(user_agent: str, name: str) -> None:
    assert identify(user_agent) == Reader(name)


def test_names_come_from_a_fixed_list() -> None:
    for user_agent in [ua for ua, *_ in KNOWN] + [ua for ua, _ in CLIENTS] + ["Evil/1.0 (9 subscribers)"]:
        assert identify(user_agent).name in READER_NAMES
    assert identify("Evil/1.0 (9 subscribers)") == Reader("other")  # a count alone names nobody


def test_a_count_is_nine_digits_whole_or_nothing() -> None:
    assert identify("Feedly/1.0 (1234567890123 subscribers)").subscribers is None
    assert identify("Feedly/1.0 (999999999 subscribers)").subscribers == 999_999_999
    assert identify("Feedly/1.0 (3.5 subscribers)").subscribers is None


@pytest.mark.timeout(30)
def test_hostile_user_agents_are_cut_before_any_pattern() -> None:
    hostile = [
        "Feedly/1.0 (" + "1 " * 50_000 + "subscribers)",
        "Mozilla/5.0 (" + "(" * 100_000,
        "Feedbin feed-id:" + "9" * 100_000,
        "NewsBlur Feed Fetcher - " + " " * 100_000 + "3 subscribers",
        "a" * 100_000 + "Feedly/1.0 (5 subscribers)",
    ]
    for user_agent in hostile:
        reader = identify(user_agent)
        assert reader.name in READER_NAMES
    assert identify("a" * 100_000 + "Feedly/1.0 (5 subscribers)") == Reader("other")  # past the cut
    assert identify("Feedbin feed-id:" + "9" * 100_000).feed_id is None
    assert len(client_hash("192.0.2.1", "x" * 100_000, date(2026, 3, 2), SECRET)) == 24
    assert MAX_USER_AGENT == 512


def test_client_hash_is_stable_within_a_day_and_changes_across_days() -> None:
    day = date(2026, 3, 2)
    first = client_hash("192.0.2.7", "Newsboat/2.40.0", day, SECRET)
    assert first == client_hash("192.0.2.7", "Newsboat/2.40.0", day, SECRET)
    assert first != client_hash("192.0.2.7", "Newsboat/2.40.0", day + timedelta(days=1), SECRET)
    assert first != client_hash("192.0.2.8", "Newsboat/2.40.0", day, SECRET)
    assert first != client_hash("192.0.2.7", "Newsboat/2.41.0", day, SECRET)
    assert first != client_hash("192.0.2.7", "Newsboat/2.40.0", day, b"s" * 32)
    assert "192.0.2.7" not in first


def test_the_secret_is_kept_in_the_cache_and_random_without_one(tmp_path: Path) -> None:
    secret = load_secret(tmp_path)
    assert len(secret) == 32
    assert load_secret(tmp_path) == secret
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [tmp_path / SECRET_FILE]  # no temporary file left
    (tmp_path / SECRET_FILE).write_bytes(b"short")  # damaged: made again
    again = load_secret(tmp_path)
    assert len(again) == 32 and again != secret and load_secret(tmp_path) == again
    assert load_secret(None) != load_secret(None)


def _poll(
    audience: Audience,
    user_agent: str,
    address: str,
    when: datetime,
    feed: str = FEED,
    conditional: bool = False,
    refused: bool = False,
) -> None:
    reader = identify(user_agent)
    client = client_hash(address, user_agent, when.date(), SECRET)
    audience.record(feed, reader, client, conditional, refused, when)


def test_distinct_clients_are_counted_for_seven_days_then_forgotten() -> None:
    audience = Audience()
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        _poll(audience, NNW, address, T0)
        _poll(audience, NNW, address, T0 + timedelta(hours=1))
    _poll(audience, "Newsboat/2.40.0", "192.0.2.1", T0)
    assert audience.subscribers(T0) == {(FEED, "NetNewsWire"): 3, (FEED, "Newsboat"): 1}
    assert audience.subscribers(T0 + timedelta(days=6)) == {(FEED, "NetNewsWire"): 3, (FEED, "Newsboat"): 1}
    assert audience.subscribers(T0 + timedelta(days=7)) == {}
    assert audience.sizes()["clients"] == 0


def test_a_reader_polling_every_day_counts_once() -> None:
    """Each day's names are new, so the days are not added up: the largest day counts."""
    audience = Audience()
    for day in range(5):
        _poll(audience, "Newsboat/2.40.0", "192.0.2.1", T0 + timedelta(days=day))
    assert audience.subscribers(T0 + timedelta(days=4)) == {(FEED, "Newsboat"): 1}
    _poll(audience, "Newsboat/2.40.0", "192.0.2.2", T0 + timedelta(days=4))
    assert audience.subscribers(T0 + timedelta(days=4)) == {(FEED, "Newsboat"): 2}
    assert audience.subscribers(T0 + timedelta(days=10)) == {(FEED, "Newsboat"): 2}  # day 4 still in
    assert audience.subscribers(T0 + timedelta(days=11)) == {}


def test_an_aggregators_latest_count_wins_and_feed_ids_add_up() -> None:
    audience = Audience()
    _poll(audience, FEEDLY.format(10), "198.51.100.1", T0)
    _poll(audience, FEEDLY.format(12), "198.51.100.2", T0)
    _poll(
        audience,
        "Feedly/1.0 (+http://www.feedly.com/fetcher.html; like FeedFetcher-Google)",
        "198.51.100.3",
        T0,
    )
    _poll(audience, FEEDLY.format(9), "198.51.100.1", T0, "/rss.xml")
    _poll(audience, "Feedbin feed-id:1 - 3 subscribers", "203.0.113.1", T0)
    _poll(audience, "Feedbin feed-id:2 - 13 subscribers", "203.0.113.2", T0)
    _poll(audience, "Feedbin feed-id:1 - 4 subscribers", "203.0.113.1", T0 + timedelta(days=2))
    assert audience.subscribers(T0 + timedelta(days=2)) == {
        (FEED, "Feedly"): 12,
        ("/rss.xml", "Feedly"): 9,
        (FEED, "Feedbin"): 17,
    }
    # Not seen for seven days, a count is forgotten: Feedly's and Feedbin's feed 2 on day 7.
    assert audience.subscribers(T0 + timedelta(days=7)) == {(FEED, "Feedbin"): 4}
    assert audience.subscribers(T0 + timedelta(days=9)) == {}
    assert audience.requests()["Feedly"] == (4, 0, 0)


def test_bots_are_requests_never_subscribers() -> None:
    audience = Audience()
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    _poll(audience, googlebot, "192.0.2.9", T0)
    assert audience.subscribers(T0) == {}
    assert audience.requests() == {"bot": (1, 0, 0)}
    audience.record("atom.xml", Reader("Newsboat"), "c", False, False, T0)  # not a path: not a feed
    assert audience.subscribers(T0) == {} and audience.sizes()["dropped"] == 1


def test_behaviour_of_a_scripted_reader() -> None:
    audience = Audience()
    ua = "Mozilla/5.0 (compatible; Miniflux/2.0.43; +https://miniflux.app)"
    for seconds, conditional in [(0, False), (600, True), (1800, True)]:
        _poll(audience, ua, "192.0.2.1", T0 + timedelta(seconds=seconds), conditional=conditional)
    _poll(audience, ua, "192.0.2.2", T0 + timedelta(seconds=100), refused=True)
    _poll(audience, ua, "192.0.2.2", T0 + timedelta(seconds=4100), conditional=True)
    feedly = FEEDLY.format(5)
    _poll(audience, feedly, "198.51.100.1", T0)
    _poll(audience, feedly, "198.51.100.9", T0 + timedelta(hours=1), conditional=True)
    _poll(audience, feedly, "198.51.100.1", T0 + timedelta(hours=3), conditional=True)
    behaviour = audience.behaviour(T0 + timedelta(hours=4))
    miniflux = behaviour["Miniflux"]
    # Intervals 600 and 1200 s of the first client, 4000 s of the second.
    assert miniflux.median_poll_seconds == 1200
    assert miniflux.conditional_share == pytest.approx(3 / 5)
    assert miniflux.requests_per_day == 5
    assert miniflux.refused == 1
    assert miniflux.days == 1
    assert behaviour["Feedly"].median_poll_seconds == 5400  # one aggregator, whatever its address
    assert behaviour["Feedly"].conditional_share == pytest.approx(2 / 3)
    later = audience.behaviour(T0 + timedelta(days=3))["Miniflux"]
    assert later.days == 4 and later.requests_per_day == pytest.approx(5 / 4)
    assert audience.requests()["Miniflux"] == (5, 3, 1)
    assert "Miniflux" not in audience.behaviour(T0 + timedelta(days=7))


def test_history_has_one_total_a_day_per_feed() -> None:
    audience = Audience()
    _poll(audience, FEEDLY.format(10), "198.51.100.1", T0)
    _poll(audience, "Newsboat/2.40.0", "192.0.2.1", T0)
    _poll(audience, FEEDLY.format(11), "198.51.100.1", T0 + timedelta(days=1))
    _poll(audience, "Newsboat/2.40.0", "192.0.2.1", T0 + timedelta(days=2), feed="/rss.xml")
    day = T0.date()
    assert audience.history(now=T0 + timedelta(days=2)) == {
        FEED: [(day, 11), (day + timedelta(days=1), 12), (day + timedelta(days=2), 12)],
        "/rss.xml": [(day, 0), (day + timedelta(days=1), 0), (day + timedelta(days=2), 1)],
    }
    assert [n for _, n in audience.history(2, now=T0 + timedelta(days=2))[FEED]] == [12, 12]
    far = audience.history(now=T0 + timedelta(days=100))
    assert all(len(days) == caps.HISTORY_DAYS for days in far.values())
    assert all(n == 0 for days in far.values() for _, n in days)
    assert audience.sizes()["history_days"] <= caps.HISTORY_DAYS


def test_memory_stays_within_the_caps_whatever_the_clients() -> None:
    audience = Audience()
    newsboat = Reader("Newsboat")
    for n in range(100_000):
        feed = FEED if n % 2 else f"/tags/t{n % 5}/atom.xml"
        audience.record(feed, newsboat, f"{n:024x}", False, False, T0)
    sizes = audience.sizes()
    assert sizes["clients_today"] == caps.MAX_CLIENTS_PER_DAY
    assert audience.subscribers(T0)[FEED, "Newsboat"] == caps.MAX_CLIENTS_PER_FEED_DAY
    assert sizes["dropped"] == 100_000 - caps.MAX_CLIENTS_PER_DAY
    for n in range(20_000):  # as many feeds, and as many feed ids for one aggregator
        audience.record(f"/f{n}/atom.xml", newsboat, "c", False, False, T0)
        audience.record(FEED, Reader("Feedbin", 1, str(n), service=True), "", False, False, T0)
    sizes = audience.sizes()
    assert sizes["feeds"] == caps.MAX_FEEDS
    assert sizes["services"] == caps.MAX_SERVICE_IDS
    assert sizes["clients_today"] == caps.MAX_CLIENTS_PER_DAY
    for n in range(10 * caps.MAX_INTERVALS):
        audience.record(FEED, Reader("Feedly", 1, service=True), "", False, False, T0 + timedelta(seconds=n))
    assert audience.sizes()["intervals"] == caps.MAX_INTERVALS
    assert audience.requests()["Newsboat"].total == 120_000
    audience.record("/x" * 1000, newsboat, "c", False, False, T0)
    audience.record("atom.xml", newsboat, "c", False, False, T0)  # not a path
    assert audience.sizes()["feeds"] == caps.MAX_FEEDS


def _busy(audience: Audience) -> None:
    agents = [
        (FEEDLY.format(40), "198.51.100.1"),
        ("Feedbin feed-id:7 - 5 subscribers", "203.0.113.1"),
        (NNW, "192.0.2.1"),
        (NNW, "192.0.2.2"),
        ("Newsboat/2.40.0", "2001:db8::1"),
    ]
    for day in range(3):
        for hour in (0, 2, 5):
            for user_agent, address in agents:
                when = T0 + timedelta(days=day, hours=hour)
                _poll(audience, user_agent, address, when, conditional=hour > 0, refused=hour == 5)


def test_save_and_load_keep_everything_but_addresses(tmp_path: Path) -> None:
    audience = Audience()
    _busy(audience)
    path = tmp_path / "audience.json"
    now = T0 + timedelta(days=2, hours=6)
    audience.save(path, now)
    text = path.read_text(encoding="utf-8")
    for address in ("198.51.100.1", "203.0.113.1", "192.0.2.1", "192.0.2.2", "2001:db8::1"):
        assert address not in text
    assert json.loads(text)["format"] == "syndicate-audience"
    assert [p.name for p in tmp_path.iterdir()] == ["audience.json"]
    loaded, reason = Audience.load(path)
    assert reason is None
    assert (
        loaded.subscribers(now)
        == audience.subscribers(now)
        == {
            (FEED, "Feedly"): 40,
            (FEED, "Feedbin"): 5,
            (FEED, "NetNewsWire"): 2,
            (FEED, "Newsboat"): 1,
        }
    )
    assert loaded.requests() == audience.requests()
    assert loaded.behaviour(now) == audience.behaviour(now)
    assert loaded.history(now=now) == audience.history(now=now)
    assert loaded.sizes() == audience.sizes()
    # The same client, after the restart, the same day: still one.
    _poll(loaded, "Newsboat/2.40.0", "2001:db8::1", now)
    assert loaded.subscribers(now)[FEED, "Newsboat"] == 1
    later = now + timedelta(days=8)
    assert loaded.history(now=later) == audience.history(now=later)


def test_saving_forgets_the_names_of_days_past_the_window(tmp_path: Path) -> None:
    audience = Audience()
    _poll(audience, "Newsboat/2.40.0", "192.0.2.1", T0)
    name = client_hash("192.0.2.1", "Newsboat/2.40.0", T0.date(), SECRET)
    path = tmp_path / "audience.json"
    audience.save(path, T0)
    assert name in path.read_text(encoding="utf-8")
    audience.save(path, T0 + timedelta(days=caps.WINDOW_DAYS))
    assert name not in path.read_text(encoding="utf-8")
    loaded, reason = Audience.load(path)
    assert reason is None and loaded.history(now=T0 + timedelta(days=7))[FEED][0] == (T0.date(), 1)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff not json",
        b'{"format": "syndicate-audience", "version": 1, "today": "2026-03-02"',
        b"[1, 2, 3]",
        b'{"format": "something-else", "version": 1}',
        b'{"format": "syndicate-audience", "version": 99}',
        b'{"format": "syndicate-audience", "version": 1, "today": "yesterday"}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_a_damaged_or_foreign_file_starts_empty_with_a_reason(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "audience.json"
    path.write_bytes(content)
    audience, reason = Audience.load(path)
    assert reason is not None and "\n" not in reason and str(path) in reason
    assert audience.subscribers(T0) == {} and audience.requests() == {}


def test_a_file_with_wrong_values_starts_empty(tmp_path: Path) -> None:
    audience = Audience()
    _busy(audience)
    path = tmp_path / "audience.json"
    audience.save(path, T0)
    good = json.loads(path.read_text(encoding="utf-8"))
    for key, value in [
        ("totals", {"Feedly": [1, "two", 3]}),
        ("services", {FEED: {"Feedly": {"": [True, 0]}}}),
        ("clients", {"2026-03-02": {FEED: {"Newsboat": {"x" * 100: 0}}}}),
        ("intervals", {"Feedly": [float("nan")]}),
        ("feeds", {"atom.xml": "2026-03-02"}),
        ("history", []),
    ]:
        path.write_text(json.dumps({**good, key: value}), encoding="utf-8")
        loaded, reason = Audience.load(path)
        assert reason is not None, key
        assert loaded.requests() == {}


def test_a_missing_file_is_a_first_start(tmp_path: Path) -> None:
    audience, reason = Audience.load(tmp_path / "audience.json")
    assert reason is None and audience.subscribers() == {} and audience.history() == {}
    audience.save(tmp_path / "audience.json")
    again, reason = Audience.load(tmp_path / "audience.json")
    assert reason is None and again.sizes() == audience.sizes()


def test_records_from_many_threads_all_count() -> None:
    audience = Audience()
    reader = Reader("Newsboat")

    def poll(thread: int) -> None:
        for n in range(2_000):
            audience.record(FEED, reader, f"{thread}-{n % 50}", n % 2 == 0, False, T0 + timedelta(seconds=n))

    threads = [threading.Thread(target=poll, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert audience.requests()["Newsboat"] == (16_000, 8_000, 0)
    assert audience.subscribers(T0)[FEED, "Newsboat"] == 400


def test_noted_requests_are_all_counted_whoever_reads_first() -> None:
    readership = Readership(None)
    ua = "Mozilla/5.0 (compatible; Miniflux/2.0.43; +https://miniflux.app)"
    start = T0.timestamp()
    for n in range(3_000):  # three clients; each polls twice a second, half of them conditional
        readership.note(FEED, f"192.0.2.{n % 3}", ua, n % 2 == 0, False, start + n / 6)
    readership.note(FEED, "192.0.2.9", ua, True, True, start + 600)  # not yet counted in a batch
    assert readership.audience.requests()["Miniflux"] == (3_001, 1_501, 1)
    assert readership.audience.subscribers(T0)[FEED, "Miniflux"] == 4
    behaviour = readership.audience.behaviour(T0 + timedelta(hours=1))["Miniflux"]
    assert behaviour.median_poll_seconds == 1  # each client's polls, a second apart at most


def test_requests_noted_from_many_threads_all_count() -> None:
    readership = Readership(None)

    def poll(thread: int) -> None:
        for n in range(2_000):
            readership.note(
                FEED, f"198.51.100.{thread}", "Newsboat/2.30", n % 2 == 0, False, T0.timestamp() + n
            )

    threads = [threading.Thread(target=poll, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    counting = threading.Thread(target=lambda: [readership.count() for _ in range(200)])
    counting.start()
    for thread in [*threads, counting]:
        thread.join()
    assert readership.audience.requests()["Newsboat"] == (16_000, 8_000, 0)
