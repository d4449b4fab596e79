"""The DingTalk custom group robot (自定义机器人): a webhook that posts to one group chat.

POST {oapi}/robot/send?access_token=…[&timestamp=…&sign=…] with a JSON message (text, markdown,
link, actionCard). With the 加签 security setting the signature is
    sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))
with timestamp in milliseconds, accepted within an hour of DingTalk's clock (310000 otherwise).
Each robot takes at most 20 messages a minute (410100 past that, and DingTalk may then throttle the
robot for 10 minutes). Sources: secondary copies of open.dingtalk.com "自定义机器人接入" and
"自定义机器人安全设置"; the same signature is what the DingTalk SDKs' samples compute.

For xuefa: the weekly notice to a school's staff group and a not-yet count, never names.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections import deque
from urllib.parse import quote_plus, urlsplit

import httpx

from bot.dingtalk.client import OAPI_URL, DingTalkApiError, DingTalkUnavailable

PER_MINUTE = 20
WINDOW = 60.0
TOO_FAST = 410100


def sign(secret: str, timestamp_ms: int) -> str:
    """The URL-encoded signature for one timestamp."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def access_token_of(webhook: str) -> str:
    """A robot's access_token from the webhook address DingTalk shows, or the token itself."""
    if "access_token=" in webhook:
        for part in urlsplit(webhook).query.split("&"):
            if part.startswith("access_token="):
                return part.split("=", 1)[1]
    return webhook.strip()


class GroupRobot:
    """One group's custom robot, paced within its 20 messages a minute."""

    def __init__(self, webhook: str, secret: str | None = None, *, oapi_url: str = OAPI_URL,
                 http: httpx.AsyncClient | None = None, per_minute: int = PER_MINUTE, window: float = WINDOW):
        self.access_token = access_token_of(webhook)
        if not self.access_token:
            raise ValueError("a DingTalk group robot needs its webhook's access_token")
        self.secret = secret or None
        self.url = f"{oapi_url.rstrip('/')}/robot/send"
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        self._own_http = http is None
        self.per_minute, self.window = per_minute, window
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def _wait_turn(self) -> None:
        """Wait until one more message stays within per_minute in any window."""
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < self.per_minute:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self.window - (now - self._sent[0]) + 0.01)

    def _address(self) -> str:
        query = f"access_token={quote_plus(self.access_token)}"
        if self.secret:
            timestamp = int(time.time() * 1000)
            query += f"&timestamp={timestamp}&sign={sign(self.secret, timestamp)}"
        return f"{self.url}?{query}"

    async def send(self, message: dict) -> None:
        """Post one message ({"msgtype": …}); raises DingTalkApiError when DingTalk refuses it."""
        await self._wait_turn()
        try:
            response = await self._http.post(self._address(), json=message)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DingTalkUnavailable(f"robot/send: {exc}") from exc
        if response.status_code >= 500:
            raise DingTalkUnavailable(f"robot/send: HTTP {response.status_code}")
        errcode = int(body.get("errcode", -1)) if isinstance(body, dict) else -1
        if errcode != 0:
            raise DingTalkApiError("robot/send", errcode, str(body.get("errmsg", "")) if isinstance(body, dict) else "")

    async def send_markdown(self, title: str, text: str) -> None:
        await self.send({"msgtype": "markdown", "markdown": {"title": title, "text": text}})

    async def send_link_card(self, title: str, text: str, button: str, url: str) -> None:
        """An actionCard with one button (the web app's link)."""
        await self.send({"msgtype": "actionCard", "actionCard": {
            "title": title, "text": text, "singleTitle": button, "singleURL": url}})
