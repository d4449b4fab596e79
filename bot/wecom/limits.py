"""WeCom's documented limits, and the sliding-window pacers that keep the client within them.

The numbers, as WeCom's server-API documentation states them (checked 2026-12):

* 访问频率限制 https://developer.work.weixin.qq.com/document/path/90454
  - 基础频率: per corp, one cgi/api at most 10,000 calls a minute and 150,000 an hour; per IP
    20,000 a minute and 600,000 an hour. Sending application messages does NOT count here.
  - 发送应用消息频率: per app at most (account cap × 200) person-times a day (one call to 1,000
    people counts 1,000); per app and per member at most 30 messages a minute and 1,000 an hour,
    "超过部分会被丢弃不下发": the excess is DROPPED SILENTLY (the call still says ok).
  - A minute-limit block lasts 60 s, an hour-limit block 60 min, a day-limit block the rest of the day.
  - auth/getuserinfo with a valid code is not subject to these limits.
* 发送应用消息 https://developer.work.weixin.qq.com/document/path/90236
  - touser: at most 1,000 userids joined by "|"; invaliduser is returned lower-cased.
  - enable_duplicate_check=1: the same content (request json) is not received twice within
    duplicate_check_interval seconds (default 1,800, at most 4 hours).
  - textcard: title ≤ 128 bytes, description ≤ 512 bytes, url ≤ 2,048 bytes, btntxt ≤ 4 characters;
    text: content ≤ 2,048 bytes.
  - Advice: avoid sending at minute 0 and 30 of the hour, when most apps push and delivery is slow.
* 获取access_token https://developer.work.weixin.qq.com/document/path/91039
  - expires_in normally 7,200 s; cache it, never call gettoken often (it is rate limited);
    WeCom may invalidate a token early, so refetch on 40014/42001.
* 手机号获取userid https://developer.work.weixin.qq.com/document/path/95402 (服务商代开发 copy: 96267)
  - wrong numbers beyond 20% of the corp's member cap block the API for a day.
* 消息推送(原“群机器人”) https://developer.work.weixin.qq.com/document/path/99110 (old: 91770)
  - each webhook at most 20 messages a minute; text ≤ 2,048 bytes, markdown ≤ 4,096 bytes.

`push_seconds` turns these into the time a push to N members takes, for the bench.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable

MESSAGE_BATCH = 1000  # touser ids per message/send call
MEMBER_LIMITS: tuple[tuple[int, float], ...] = ((30, 60.0), (1000, 3600.0))  # per app, per member
API_LIMITS: tuple[tuple[int, float], ...] = ((10_000, 60.0), (150_000, 3600.0))  # per corp, per API
DAILY_PERSON_TIMES_PER_ACCOUNT = 200  # per app per day: account cap × 200
ROBOT_LIMITS: tuple[tuple[int, float], ...] = ((20, 60.0),)  # per webhook
DUPLICATE_CHECK_DEFAULT = 1800
DUPLICATE_CHECK_MAX = 4 * 3600
TEXTCARD_TITLE_BYTES = 128
TEXTCARD_DESCRIPTION_BYTES = 512
TEXTCARD_URL_BYTES = 2048
TEXTCARD_BUTTON_CHARS = 4
TEXT_BYTES = 2048
ROBOT_TEXT_BYTES = 2048
ROBOT_MARKDOWN_BYTES = 4096

LIMITS = {
    "message_batch": MESSAGE_BATCH,
    "member_per_minute": MEMBER_LIMITS[0][0],
    "member_per_hour": MEMBER_LIMITS[1][0],
    "api_per_minute": API_LIMITS[0][0],
    "api_per_hour": API_LIMITS[1][0],
    "daily_person_times_per_account": DAILY_PERSON_TIMES_PER_ACCOUNT,
    "robot_per_minute": ROBOT_LIMITS[0][0],
    "duplicate_check_default_seconds": DUPLICATE_CHECK_DEFAULT,
}


def push_seconds(members: int, *, seconds_per_call: float, account_cap: int | None = None) -> float:
    """How long one notice to `members` distinct members takes within WeCom's limits.

    One message/send carries 1,000 members and each member gets one message, so the per-member
    caps never bind; message sends are outside the per-API frequency. What remains is the number
    of calls times one call's round trip (`seconds_per_call`, measured). If the app's daily
    person-times (account_cap × 200) is smaller than `members`, the push cannot finish today:
    return math.inf.
    """
    if members <= 0:
        return 0.0
    if account_cap is not None and members > account_cap * DAILY_PERSON_TIMES_PER_ACCOUNT:
        return math.inf
    return math.ceil(members / MESSAGE_BATCH) * seconds_per_call


def trim_bytes(text: str, limit: int) -> str:
    """Cut text to at most `limit` UTF-8 bytes, on a character boundary (never half a character)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


class SlidingWindows:
    """At most `count` events per `period` seconds for each key, over several windows at once.

    `wait_for(key)` says how long until the key may have one more event; `take(key)` records one.
    Time comes from `monotonic` (a steady clock: pacing must not jump with the wall clock).
    `margin` seconds are added to every period: WeCom counts a message when it arrives, later than
    we count it, and a spread in latency must not let one more in than WeCom's window allows.
    """

    def __init__(
        self, limits: Iterable[tuple[int, float]], monotonic: Callable[[], float] = time.monotonic, margin: float = 0.0
    ):
        self.limits = tuple((count, period + margin) for count, period in limits)
        self.monotonic = monotonic
        self._events: dict[Hashable, deque[float]] = {}
        self.longest = max((period for _, period in self.limits), default=0.0)

    def wait_for(self, key: Hashable) -> float:
        events = self._events.get(key)
        if not events:
            return 0.0
        now = self.monotonic()
        while events and events[0] <= now - self.longest:
            events.popleft()
        wait = 0.0
        for count, period in self.limits:
            inside = [stamp for stamp in events if stamp > now - period] if len(events) >= count else ()
            if len(inside) >= count:
                # the oldest event that must leave the window before one more fits
                wait = max(wait, inside[len(inside) - count] + period - now)
        return wait

    def take(self, key: Hashable) -> None:
        self._events.setdefault(key, deque()).append(self.monotonic())

    def forget_idle(self) -> None:
        """Drop keys whose events have all left every window (keeps memory flat on long runs)."""
        now = self.monotonic()
        for key in [key for key, events in self._events.items() if not events or events[-1] <= now - self.longest]:
            del self._events[key]


class Pacer:
    """An asyncio gate over SlidingWindows: `await acquire(key)` returns once the key may send.

    Checking and taking happen with no await between them, so on one event loop no lock is needed;
    several Pacers may share one SlidingWindows (one webhook key used by several senders)."""

    def __init__(
        self,
        limits: Iterable[tuple[int, float]] = (),
        monotonic: Callable[[], float] = time.monotonic,
        windows: SlidingWindows | None = None,
        margin: float = 0.0,
    ):
        self.windows = windows if windows is not None else SlidingWindows(limits, monotonic, margin)

    async def acquire(self, key: Hashable = None) -> None:
        while True:
            wait = self.windows.wait_for(key)
            if wait <= 0:
                self.windows.take(key)
                return
            await asyncio.sleep(wait)

    async def claim(self, keys: Iterable[Hashable]) -> tuple[list, float]:
        """Take one event for every key that may send now; return those keys and the shortest wait
        until one of the others may (math.inf when none is left waiting)."""
        claimed, soonest = [], math.inf
        for key in keys:
            wait = self.windows.wait_for(key)
            if wait <= 0:
                self.windows.take(key)
                claimed.append(key)
            else:
                soonest = min(soonest, wait)
        return claimed, soonest
