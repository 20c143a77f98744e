"""Who reads the feeds: the reader a User-Agent names, and the hash that stands for a client.

Hosted aggregators poll a feed once for all their users and say how many those are in their
User-Agent; `identify` reads that count. Every other reader (a desktop or phone app, a
self-hosted instance) polls for itself and is counted by `syndicate.serve.audience` as a
distinct client, known only by `client_hash`: an HMAC of its address and User-Agent under a
salt of the day, so no address is kept and no client can be followed from one day to the next.

Everything here reads what a client sent and nothing else: a User-Agent is cut to
`MAX_USER_AGENT` characters before any pattern sees it, every pattern is a plain search with
bounded repetitions (no nesting that could backtrack), and a name is one of `READER_NAMES`,
never text of the client's, so metric labels stay few.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

MAX_USER_AGENT = 512  # characters of a User-Agent looked at; the rest is ignored
MAX_REPORTED = 999_999_999  # nine digits at most are read as a subscriber count
IDENTIFY_CACHE = 2048  # User-Agents whose reader is remembered
SECRET_FILE = "audience.key"  # in build.cache_dir: the key each day's salt is derived from


@dataclass(frozen=True, slots=True)
class Reader:
    """What a User-Agent says: a display name from `READER_NAMES`; for a hosted aggregator
    (`service`), the subscribers it reports for the feed polled, if it said, and its own id
    of that feed when it has one (Feedbin can poll one URL as several of its feeds, each with
    its own subscribers)."""

    name: str
    subscribers: int | None = None
    feed_id: str | None = None
    service: bool = False


# The count every aggregator below writes: "462 subscribers", "1 subscriber". The look-behind
# keeps the digits whole: a longer number is no count at all, never its last nine digits.
_COUNT = re.compile(r"(?<![\w.,])(\d{1,9})\s{1,3}subscribers?\b", re.IGNORECASE)

# Hosted aggregators: (name, what identifies it, its feed id if it sends one).
_SERVICES: tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...] = (
    # "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 462 subscribers; )" (feedly.com/fetcher.html),
    # "Feedly/1.0 (+https://feedly.com/fetcher.html; 1 subscriber)", "Feedly/1.0 (poller; 131
    # subscribers;)", "Mozilla/5.0 (compatible; Feedly/1.0; +http://www.feedly.com/fetcher.html;
    # 1 subscribers)"; without a count ("…; like FeedFetcher-Google)") when it only checks a feed.
    ("Feedly", re.compile(r"\bFeedly(?:Bot)?/\d", re.IGNORECASE), None),
    # "Inoreader/1.0 (+http://www.inoreader.com/feed-fetcher; 3 subscribers; )" (inoreader.com/
    # feed-fetcher), "Mozilla/5.0 (compatible; inoreader.com; 1 subscribers)"; no count in
    # "Mozilla/5.0 (compatible; inoreader.com-like FeedFetcher-Google)".
    ("Inoreader", re.compile(r"\binoreader\b", re.IGNORECASE), None),
    # "Feedbin feed-id:1306543 - 3 subscribers" (Feedbin's crawler), formerly "Feedbin - 12
    # subscribers" (feedbin/support, subscriber-statistics.md: "subscribers" keeps its s).
    ("Feedbin", re.compile(r"^Feedbin\b"), re.compile(r"\bfeed-id:(\d{1,12})\b")),
    # "NewsBlur Feed Fetcher - 12 subscribers - https://www.newsblur.com/site/1234/name (Mozilla/5.0
    # …)" (NewsBlur's Feed.user_agent), formerly "Mozilla/5.0 … (NewsBlur Feed Fetcher - 3
    # subscribers - http://www.newsblur.com)". The site number is its feed id.
    ("NewsBlur", re.compile(r"\bNewsBlur Feed Fetcher\b"), re.compile(r"newsblur\.com/site/(\d{1,12})\b")),
    # "Mozilla/5.0 (compatible; theoldreader.com; 1 subscribers; feed-id=0719795c4d27c784217b0bc0)".
    (
        "The Old Reader",
        re.compile(r"\btheoldreader\.com\b", re.IGNORECASE),
        re.compile(r"\bfeed-id=(\w{1,32})"),
    ),
    # "Mozilla/5.0 (compatible; BazQux/2.4; +https://bazqux.com/fetcher; 2 subscribers)"
    # (bazqux.com/fetcher), older "Mozilla 5.0 (compatible; BazQux/2.4 +http://bazqux.com/fetcher; …".
    ("BazQux", re.compile(r"\bBazQux/\d"), None),
    # "Feedspot/1.0 (+https://www.feedspot.com/fs/fetcher; like FeedFetcher-Google)", "Feedspot
    # http://www.feedspot.com"; a count when it sends one.
    ("Feedspot", re.compile(r"\bFeedspot\b"), None),
    # "FeedHQ/X.Y.Z (https://github.com/feedhq/feedhq; 1 subscriber; https://github.com/feedhq/
    # feedhq/wiki/User-Agent; like FeedFetcher-Google)" (FeedHQ's wiki, User-Agent).
    ("FeedHQ", re.compile(r"\bFeedHQ/\d"), None),
    # "Bloglovin/1.0 (http://www.bloglovin.com; 1 subscribers)".
    ("Bloglovin", re.compile(r"\bBloglovin/\d"), None),
    # "Feedfetcher-Google; (+http://www.google.com/feedfetcher.html; 1 subscribers;
    # feed-id=728742641706423)"; today mostly without a count (WebSub, Google News).
    (
        "Google Feedfetcher",
        re.compile(r"\bFeedfetcher-Google\b", re.IGNORECASE),
        re.compile(r"\bfeed-id=(\d{1,24})"),
    ),
    # "Netvibes (crawler/bot; http://www.netvibes.com"; a count when it sends one.
    ("Netvibes", re.compile(r"\bNetvibes\b"), None),
)

# Readers that poll for one person, or one instance: counted as distinct clients.
_CLIENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "NetNewsWire (RSS Reader; https://netnewswire.com/)", older "… AppleWebKit/531.22.7 (KHTML,
    # like Gecko) NetNewsWire/3.2".
    ("NetNewsWire", re.compile(r"\bNetNewsWire\b")),
    # "Newsboat/2.40.0", its ancestor "newsbeuter rss feedreader 0.1 (http://synflood.at/…)".
    ("Newsboat", re.compile(r"\b(?:Newsboat|newsbeuter)\b", re.IGNORECASE)),
    # "Mozilla/5.0 (compatible; Miniflux/2.0.43; +https://miniflux.app)" (Miniflux's config).
    ("Miniflux", re.compile(r"\bMiniflux/")),
    # "FreshRSS/1.20.0 (Linux; https://freshrss.org)".
    ("FreshRSS", re.compile(r"\bFreshRSS/")),
    # "Tiny Tiny RSS/22.05 (Unsupported) (https://tt-rss.org/)".
    ("Tiny Tiny RSS", re.compile(r"\bTiny Tiny RSS/")),
    # "CommaFeed/4.0.0 (https://github.com/Athou/commafeed)" (CommaFeed's HTTP client).
    ("CommaFeed", re.compile(r"\bCommaFeed/")),
    # "NextCloud-News/1.0" (Nextcloud News' fetcher), "ownCloud News/5.3.6 (+https://owncloud.org/…)".
    ("Nextcloud News", re.compile(r"\b(?:NextCloud-News/|ownCloud News/)", re.IGNORECASE)),
    # "Akregator/5.24.0 (23.08.0); syndication".
    ("Akregator", re.compile(r"\bAkregator/", re.IGNORECASE)),
    # "Liferea/1.13.5 (Linux; en_US; https://lzone.de/liferea/)".
    ("Liferea", re.compile(r"\bLiferea/")),
    # "Reeder/5.0 CFNetwork/…".
    ("Reeder", re.compile(r"\bReeder/")),
    # Feeder for Android: "SpaceCowboys Android RSS Reader / 2.13.0(3764)" (its USER_AGENT_STRING).
    ("Feeder", re.compile(r"\bSpaceCowboys Android RSS Reader\b")),
    # "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.0".
    ("Thunderbird", re.compile(r"\bThunderbird/")),
    ("RSS Guard", re.compile(r"\bRSS ?Guard\b")),
    ("Vienna", re.compile(r"\bVienna/\d")),  # "Mozilla/5.0 Vienna/3.1.1"
    ("Fiery Feeds", re.compile(r"\bFiery(?:%20| )Feeds/")),  # "Fiery%20Feeds/572 CFNetwork/…"
    # Services that poll without a count ("Superfeedr bot/2.0 http://superfeedr.com - Make your
    # feeds realtime: get in touch - feed-id:46271263", "Blogtrottr/2.0"): their clients are
    # counted like anyone's, as few as the addresses they poll from.
    ("Superfeedr", re.compile(r"\bSuperfeedr\b")),
    ("Blogtrottr", re.compile(r"\bBlogtrottr/")),
)

# Not readers: counted in requests, never as subscribers.
BOT = "bot"
_BOT = re.compile(
    r"bot\b|crawler|spider|\b(?:curl|Wget|python-requests|python-httpx|aiohttp|Go-http-client|"
    r"okhttp|Java|libwww-perl|HeadlessChrome)/|\bPython-urllib",
    re.IGNORECASE,
)
# A web browser: someone opening the feed, or an extension (Feedbro) that polls with the
# browser's own User-Agent and so cannot be told apart.
BROWSER = "browser"
_BROWSER = re.compile(r"^Mozilla/\d[^(]{0,20}\((?:Windows|Macintosh|X11|Linux|iPhone|iPad|Android)")
OTHER = "other"

SERVICE_NAMES = frozenset(name for name, _, _ in _SERVICES)
READER_NAMES: tuple[str, ...] = (
    *(name for name, _, _ in _SERVICES),
    *(name for name, _ in _CLIENTS),
    BROWSER,
    BOT,
    OTHER,
)


def identify(user_agent: str) -> Reader:
    """The reader `user_agent` names; `Reader("other")` for any other client. The answers for
    the last `IDENTIFY_CACHE` User-Agents are kept: readers send the same one every poll, and
    trying every pattern on one (a browser's, which matches none) takes tens of microseconds."""
    return _identify(user_agent[:MAX_USER_AGENT])


@functools.lru_cache(maxsize=IDENTIFY_CACHE)
def _identify(ua: str) -> Reader:
    for name, pattern, id_pattern in _SERVICES:
        if pattern.search(ua):
            count = _COUNT.search(ua)
            feed_id = id_pattern.search(ua) if id_pattern is not None else None
            return Reader(
                name,
                subscribers=min(int(count.group(1)), MAX_REPORTED) if count else None,
                feed_id=feed_id.group(1) if feed_id else None,
                service=True,
            )
    for name, pattern in _CLIENTS:
        if pattern.search(ua):
            return Reader(name)
    if _BOT.search(ua):
        return Reader(BOT)
    if _BROWSER.search(ua):
        return Reader(BROWSER)
    return Reader(OTHER)


def client_hash(address: str, user_agent: str, day: date, secret: bytes) -> str:
    """A client's name for one day: HMAC-SHA256 of its address and User-Agent under a salt
    derived from `secret` and `day`, cut to 96 bits. The same client gets the same name all day
    (across a restart too, when `secret` is the cache's) and another one the next day; the
    address cannot be read back from it. Whoever holds `secret` could still test guesses of an
    address against a saved name, which is why saved files keep only the last days' names."""
    salt = hmac.new(secret, b"syndicate audience salt " + day.isoformat().encode(), hashlib.sha256).digest()
    message = (
        address.encode("utf-8", "replace") + b"\0" + user_agent[:MAX_USER_AGENT].encode("utf-8", "replace")
    )
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:24]


def load_secret(folder: Path | None) -> bytes:
    """The key of `client_hash`: kept in `folder` (build.cache_dir) as `SECRET_FILE`, made on
    first use, so a restart names each client as before; without a folder, or where it cannot
    be read or written, a random key for this process only."""
    if folder is None:
        return os.urandom(32)
    path = folder / SECRET_FILE
    try:
        secret = path.read_bytes()
        if len(secret) >= 32:
            return secret[:32]
    except FileNotFoundError:
        pass
    except OSError:
        return os.urandom(32)
    secret = os.urandom(32)
    temporary = folder / f".{SECRET_FILE}.{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(secret)
        try:
            os.link(temporary, path)  # only if there is none: two processes starting agree
        except FileExistsError:
            kept = path.read_bytes()
            if len(kept) >= 32:
                return kept[:32]
            os.replace(temporary, path)  # a damaged key: names of today change once
    except OSError:
        return secret  # this process only: the next one makes another
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    return secret
