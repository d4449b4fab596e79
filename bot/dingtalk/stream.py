"""The DingTalk chatbot in Stream mode: what people type to the bot arrives over a websocket that we
open, so no public callback URL is needed.

The protocol, as the official dingtalk-stream SDK (0.24.3: stream.py, frames.py, handlers.py,
chatbot.py) speaks it:
1. POST {api}/v1.0/gateway/connections/open {clientId, clientSecret, subscriptions:
   [{type: "CALLBACK", topic: "/v1.0/im/bot/messages/get"}], ua, localIp} → {endpoint, ticket}.
2. Connect a websocket to {endpoint}?ticket={ticket} (the ticket is single-use).
3. Frames are JSON {specVersion, type, headers: {messageId, topic, contentType, time, …}, data}
   where data is itself a JSON string. type SYSTEM: topic "ping" (answer with an ACK echoing its
   data) or "disconnect" (the server is moving us: ACK, close, connect again); type CALLBACK on the
   bot topic: a message to the bot, data carrying senderStaffId (the userid), text.content,
   conversationType ("1" one-to-one, "2" group) and a sessionWebhook valid until
   sessionWebhookExpiredTime (ms).
4. Every frame is ACKed: {code: 200, headers: {messageId, contentType: "application/json"},
   message: "OK", data: "<JSON string>"}; for a callback data is {"response": …}. DingTalk pushes an
   un-ACKed frame again, so we ACK before answering (an answer can take seconds) and drop a msgId
   we have already seen.
5. The reply is a POST of {msgtype: "markdown", markdown: {title, text}} (or text) to the
   sessionWebhook, with an "at" of the sender as the SDK does.

Why not the SDK itself: see docs/channels.md (blocking requests calls inside its event loop,
aiohttp and requests as extra dependencies, the API host only settable by an environment variable
read at import, a UDP "connect" to 8.8.8.8 to find the local IP).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import quote_plus

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from bot.dingtalk.client import DingTalkAuthError, DingTalkClient, DingTalkError
from knowledge import messages as M

log = logging.getLogger(__name__)
BOT_TOPIC = "/v1.0/im/bot/messages/get"
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
SEEN_MESSAGES = 1000
TITLE_CHARS = 20

Answer = Callable[[str, str], Awaitable[str]]


def ack(frame: dict, data: object, *, code: int = 200, message: str = "OK") -> dict:
    """The documented ACK of a frame."""
    return {"code": code, "headers": {"messageId": (frame.get("headers") or {}).get("messageId", ""),
                                      "contentType": "application/json"},
            "message": message, "data": json.dumps(data, ensure_ascii=False)}


def frame_data(frame: dict) -> dict:
    raw = frame.get("data")
    if isinstance(raw, dict):
        return raw
    try:
        data = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class DingTalkStream:
    """Receive what people type to the bot and answer each through its sessionWebhook.

    `answer(userid, text)` is the lead's conversation core; it returns the reply text (markdown is
    fine). Run `await stream.run()` as a task; `stop()` ends it."""

    def __init__(self, client: DingTalkClient, answer: Answer, *, http: httpx.AsyncClient | None = None,
                 backoff: Sequence[float] = BACKOFF, reply_format: str = "markdown", concurrency: int = 4):
        self.client = client
        self.answer = answer
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        self._own_http = http is None
        self.backoff = tuple(backoff)
        self.reply_format = reply_format
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._answering = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task] = set()
        self._stopping = asyncio.Event()
        self._websocket = None
        self.connected = asyncio.Event()
        self.connections = 0

    # --- the connection loop ---------------------------------------------------------------

    async def run(self) -> None:
        """Connect, receive and reconnect with backoff until stop(); bad credentials end it."""
        failures = 0
        while not self._stopping.is_set():
            try:
                endpoint, ticket = await self.client.open_stream([BOT_TOPIC])
                async with connect(f"{endpoint}?ticket={quote_plus(ticket)}", open_timeout=10,
                                   ping_interval=30, ping_timeout=30, max_size=2**22) as websocket:
                    self._websocket = websocket
                    self.connections += 1
                    self.connected.set()
                    failures = 0
                    async for raw in websocket:
                        if await self._handle(websocket, raw) == "disconnect":
                            await websocket.close()
                            break
            except DingTalkAuthError:
                log.error("DingTalk refused the app's credentials for Stream mode; the chatbot stops")
                raise
            except (TimeoutError, DingTalkError, OSError, WebSocketException) as exc:
                delay = self.backoff[min(failures, len(self.backoff) - 1)]
                failures += 1
                log.warning("DingTalk stream lost (%s); reconnecting in %.0f s", exc, delay)
                self.connected.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                continue
            finally:
                self._websocket = None
            self.connected.clear()  # a disconnect frame or a clean close: connect again at once

    async def stop(self) -> None:
        self._stopping.set()
        if self._websocket is not None:
            with contextlib.suppress(Exception):
                await self._websocket.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        await self.stop()
        if self._own_http:
            await self._http.aclose()

    # --- frames ----------------------------------------------------------------------------

    async def _handle(self, websocket, raw: str | bytes) -> str:
        try:
            frame = json.loads(raw)
        except ValueError:
            log.warning("DingTalk stream: a frame that is not JSON was ignored")
            return ""
        if not isinstance(frame, dict):
            return ""
        kind = frame.get("type")
        topic = (frame.get("headers") or {}).get("topic", "")
        if kind == "SYSTEM":
            await websocket.send(json.dumps(ack(frame, frame_data(frame))))
            return "disconnect" if topic == "disconnect" else ""
        if kind == "CALLBACK" and topic == BOT_TOPIC:
            await websocket.send(json.dumps(ack(frame, {"response": None})))
            self._received(frame_data(frame))
            return ""
        if kind == "EVENT":
            await websocket.send(json.dumps(ack(frame, {}, message="OK")))
            return ""
        await websocket.send(json.dumps(ack(frame, {"response": None}, code=404, message="not implement")))
        return ""

    def _received(self, data: dict) -> None:
        message_id = str(data.get("msgId") or "")
        if message_id:
            if message_id in self._seen:
                return  # pushed again: answered once already
            self._seen[message_id] = None
            while len(self._seen) > SEEN_MESSAGES:
                self._seen.popitem(last=False)
        task = asyncio.create_task(self._answer(data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, data: dict) -> None:
        userid = str(data.get("senderStaffId") or "")
        text = str((data.get("text") or {}).get("content") or "").strip() if data.get("msgtype") == "text" else ""
        webhook = str(data.get("sessionWebhook") or "")
        if not userid or not webhook:
            return  # someone outside the organisation (no staff id), or nowhere to answer
        if not webhook.startswith(self.client.oapi_url + "/"):
            log.warning("DingTalk stream: a sessionWebhook outside %s was not used", self.client.oapi_url)
            return
        expires = data.get("sessionWebhookExpiredTime")
        if isinstance(expires, (int, float)) and expires / 1000 < time.time():
            return
        if not text:
            return
        if str(data.get("conversationType") or "1") != "1":
            # In a group everyone reads the answer: records, reports and codes are for one-to-one only,
            # and one rule for every message is simpler to trust than a list of safe commands.
            await self._reply(webhook, userid, M.PLATFORM_PRIVATE_ONLY)
            return
        async with self._answering:
            try:
                reply = await self.answer(userid, text)
            except Exception:
                log.exception("the answer to a DingTalk message failed")
                return
            if reply:
                await self._reply(webhook, userid, reply)

    async def _reply(self, webhook: str, userid: str, reply: str) -> None:
        if self.reply_format == "markdown":
            title = reply.strip().splitlines()[0][:TITLE_CHARS] if reply.strip() else "…"
            body = {"msgtype": "markdown", "markdown": {"title": title, "text": reply}}
        else:
            body = {"msgtype": "text", "text": {"content": reply}}
        body["at"] = {"atUserIds": [userid]}
        try:
            response = await self._http.post(webhook, json=body)
            result = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("DingTalk sessionWebhook reply failed: %s", exc)
            return
        if response.status_code >= 400 or not isinstance(result, dict) or result.get("errcode", 0) != 0:
            log.warning("DingTalk refused a sessionWebhook reply: %s", str(result)[:200])
