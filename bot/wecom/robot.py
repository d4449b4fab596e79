"""The group robot (消息推送, formerly 群机器人) webhook: a notice to a school's staff group.

https://developer.work.weixin.qq.com/document/path/99110 (old address 91770): POST JSON to
/cgi-bin/webhook/send?key=KEY; msgtype text (content ≤ 2,048 bytes) or markdown (≤ 4,096
bytes); each robot at most 20 messages a minute (past it WeCom answers 45009 and blocks the
robot for a while). The pacing here is per webhook key and per process: every GroupRobot of a
key shares one window. The key is a credential: it is never put into an exception message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import httpx

from bot.wecom.client import DEFAULT_BASE_URL, WeComError, request_json
from bot.wecom.limits import ROBOT_LIMITS, ROBOT_MARKDOWN_BYTES, ROBOT_TEXT_BYTES, Pacer, SlidingWindows, trim_bytes

_WINDOWS: dict[tuple[str, tuple], SlidingWindows] = {}


def _pacer_for(key: str, limits: tuple, monotonic: Callable[[], float], margin: float) -> Pacer:
    windows = _WINDOWS.get((key, limits))
    if windows is None:
        windows = _WINDOWS[(key, limits)] = SlidingWindows(limits, monotonic, margin)
    return Pacer(windows=windows)


def webhook_key(value: str) -> str:
    """Accept either the bare key or the whole webhook URL an admin copies from WeCom."""
    value = value.strip()
    if "key=" in value:
        value = value.split("key=", 1)[1].split("&", 1)[0]
    if not value or any(ch in value for ch in "/?#& "):
        raise ValueError("not a WeCom webhook key")
    return value


class GroupRobot:
    """One group robot. `await send_markdown(...)` waits for a free slot in the robot's window."""

    def __init__(
        self,
        key: str,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.AsyncClient | None = None,
        *,
        limits: Iterable[tuple[int, float]] = ROBOT_LIMITS,
        timeout: float = 15.0,
        pacing_margin: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._key = webhook_key(key)
        self.base_url = base_url.rstrip("/")
        self._own_http = http is None
        self.http = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self.pacer = _pacer_for(self._key, tuple(limits), monotonic, pacing_margin)

    async def send_text(self, content: str) -> None:
        await self._send({"msgtype": "text", "text": {"content": trim_bytes(content, ROBOT_TEXT_BYTES)}})

    async def send_markdown(self, content: str) -> None:
        await self._send({"msgtype": "markdown", "markdown": {"content": trim_bytes(content, ROBOT_MARKDOWN_BYTES)}})

    async def _send(self, payload: dict) -> None:
        await self.pacer.acquire(self._key)
        data = await request_json(
            self.http, "POST", self.base_url, "/cgi-bin/webhook/send", {"key": self._key}, payload
        )
        code = int(data.get("errcode", 0) or 0)
        if code != 0:
            raise WeComError(code, str(data.get("errmsg", "")))

    async def close(self) -> None:
        if self._own_http:
            await self.http.aclose()
