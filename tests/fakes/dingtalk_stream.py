"""The Stream-mode half of the fake DingTalk: the gateway, the websocket and the sessionWebhook.

From the official dingtalk-stream SDK's code (0.24.3: stream.py, frames.py, handlers.py, chatbot.py),
not from our client. Mixed into tests.fakes.dingtalk.FakeDingTalk, whose lock, app_key, port and
records it uses.
"""

from __future__ import annotations

import asyncio
import json
import queue
import secrets
import time

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

BOT_TOPIC = "/v1.0/im/bot/messages/get"


def _err(code: int, message: str) -> JSONResponse:
    return JSONResponse({"errcode": code, "errmsg": message})


def _api_err(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "requestid": secrets.token_hex(8)}, status_code=status)


class StreamGateway:
    """connections/open, the /connect websocket, /robot/sendBySession, and the test controls
    push_text, ping and disconnect."""

    # --- test controls ---------------------------------------------------------------------

    def push_text(self, userid: str, text: str, *, conversation_type: str = "1") -> str:
        """A person writes to the bot: queue a CALLBACK frame for the open stream; returns its messageId."""
        session = secrets.token_hex(8)
        expires = time.time() + 5400
        with self.lock:
            self._sessions[session] = (userid, expires)
        message_id = secrets.token_hex(12)
        data = {
            "conversationId": f"cid-{userid}", "chatbotCorpId": "ding-corp", "chatbotUserId": "bot-user",
            "msgId": secrets.token_hex(8), "senderNick": userid, "isAdmin": False, "senderStaffId": userid,
            "sessionWebhookExpiredTime": int(expires * 1000), "createAt": int(time.time() * 1000),
            "senderCorpId": "ding-corp", "conversationType": conversation_type, "senderId": f"$:LWCP_v1:${userid}",
            "sessionWebhook": f"{self.base_url}/robot/sendBySession?session={session}",
            "text": {"content": text}, "robotCode": self.app_key, "msgtype": "text",
        }
        self._outbox.put(self._frame("CALLBACK", BOT_TOPIC, data, message_id))
        return message_id

    def ping(self) -> str:
        message_id = secrets.token_hex(12)
        self._outbox.put(self._frame("SYSTEM", "ping", {"opaque": secrets.token_hex(6)}, message_id))
        return message_id

    def disconnect(self) -> None:
        self._outbox.put(self._frame("SYSTEM", "disconnect", {"reason": "server rebalance"}, secrets.token_hex(12)))


    def _frame(self, kind: str, topic: str, data: dict, message_id: str) -> dict:
        return {"specVersion": "1.0", "type": kind,
                "headers": {"appId": self.app_key, "connectionId": "conn-1", "contentType": "application/json",
                            "messageId": message_id, "time": str(int(time.time() * 1000)), "topic": topic},
                "data": json.dumps(data, ensure_ascii=False)}


    # --- the gateway -----------------------------------------------------------------------

    async def _open_connection(self, request: Request) -> JSONResponse:
        self.calls["connections/open"] += 1
        body = await request.json()
        if body.get("clientId") != self.app_key or body.get("clientSecret") != self.app_secret:
            return _api_err(401, "InvalidAuthentication", "clientId或clientSecret不正确")
        topics = {(s.get("type"), s.get("topic")) for s in body.get("subscriptions") or []}
        if ("CALLBACK", BOT_TOPIC) not in topics:
            return _api_err(400, "InvalidParameter", "subscriptions 缺少机器人消息回调")
        ticket = secrets.token_urlsafe(16)
        with self.lock:
            self._tickets.add(ticket)
        endpoint = f"ws://127.0.0.1:{self.port}/connect"
        return JSONResponse({"endpoint": endpoint, "ticket": ticket})

    async def _stream(self, websocket: WebSocket) -> None:
        ticket = websocket.query_params.get("ticket", "")
        with self.lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            await websocket.close(code=4001)
            return
        await websocket.accept()
        self.connections += 1
        unacked: dict[str, tuple[dict, float]] = {}
        receiver = asyncio.create_task(self._receive_acks(websocket, unacked))
        try:
            while not receiver.done():
                try:
                    frame = self._outbox.get_nowait()
                except queue.Empty:
                    frame = None
                if frame is None:
                    now = time.monotonic()
                    for message_id, (old, sent_at) in list(unacked.items()):
                        if now - sent_at > self.redeliver_after:
                            unacked[message_id] = (old, now)
                            await websocket.send_text(json.dumps(old, ensure_ascii=False))
                            self.frames_sent.append(old)
                    await asyncio.sleep(0.01)
                    continue
                await websocket.send_text(json.dumps(frame, ensure_ascii=False))
                self.frames_sent.append(frame)
                if frame["headers"]["topic"] == "disconnect":
                    await asyncio.sleep(0.05)
                    await websocket.close()
                    break
                unacked[frame["headers"]["messageId"]] = (frame, time.monotonic())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiver.cancel()
            for frame, _ in unacked.values():  # what was never ACKed is pushed again on the next connection
                self._outbox.put(frame)

    async def _receive_acks(self, websocket: WebSocket, unacked: dict[str, tuple[dict, float]]) -> None:
        while True:
            try:
                ack = json.loads(await websocket.receive_text())
            except (WebSocketDisconnect, RuntimeError, json.JSONDecodeError):
                return
            message_id = (ack.get("headers") or {}).get("messageId")
            pending = unacked.get(message_id)
            if pending is None or ack.get("code") != 200 or not isinstance(ack.get("data"), str):
                continue  # a wrong ACK is ignored, so the frame is pushed again
            frame = pending[0]
            if frame["type"] == "SYSTEM" and json.loads(ack["data"] or "null") != json.loads(frame["data"]):
                continue  # a ping's ACK must echo its data
            unacked.pop(message_id, None)
            with self.lock:
                self.acks.append(ack)

    async def _session_reply(self, request: Request) -> JSONResponse:
        session = request.query_params.get("session", "")
        with self.lock:
            entry = self._sessions.get(session)
        if entry is None or entry[1] < time.time():
            return _err(300001, "session 不存在或已过期")
        body = await request.json()
        kind = body.get("msgtype")
        if kind not in ("text", "markdown") or not isinstance(body.get(kind), dict):
            return _err(40035, "不合法的参数: msgtype")
        text = body[kind].get("content") if kind == "text" else body[kind].get("text")
        if not text:
            return _err(40035, "缺少参数: 消息内容")
        with self.lock:
            self.replies.append({"userid": entry[0], "msgtype": kind, "text": text, "body": body})
        return _err(0, "ok")

