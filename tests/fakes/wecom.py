"""A fake WeCom (企业微信) server for tests and benchmarks, written from WeCom's documentation,
not from our client (bot/wecom is never imported here).

A real ASGI server (Starlette under uvicorn) on 127.0.0.1 and a free port, in a background thread:

    with FakeWeCom(users={"zhangsan", "lisi"}) as wecom:
        client = WeComClient(wecom.corp_id, wecom.agent_id, wecom.secret, base_url=wecom.base_url)

What it does, as the documentation says WeCom does:
* GET /cgi-bin/gettoken (91039): corpid and corpsecret checked (40013, 40001); the same token is
  returned while it is valid; expires_in is reported, and the real lifetime (`token_ttl`) can be
  made short to test 42001. `revoke_tokens()` makes every token invalid (40014), as WeCom may.
* POST /cgi-bin/message/send (90236): token checked (41001/40014/42001), agentid (40056),
  at most 1,000 touser; unknown userids come back in invaliduser, lower-cased; with no valid
  receiver at all errcode 81013. Per member at most 30 a minute and 1,000 an hour (90454):
  the excess is DROPPED SILENTLY — the answer is still ok, the inbox does not get it.
  enable_duplicate_check: the same message (its JSON without touser) to the same member within
  duplicate_check_interval (default 1,800 s) is not delivered again. Fields over their limits
  are cut by bytes as WeCom does (which can break a character: tests look for U+FFFD).
* POST /cgi-bin/user/getuserid (95402): mobile → userid, 46004 when there is none, 60103 for a
  malformed number.
* GET /cgi-bin/auth/getuserinfo (91023/98177): codes are single-use and live 5 minutes (40029);
  a non-member's code gives openid and external_userid, no userid.
* POST /cgi-bin/webhook/send?key= (99110): 20 messages a minute per robot, past that 45009.
* `inbox[userid]` is what each member actually received; `robot_inbox[key]` each group's.

FakeCallback builds encrypted callbacks with the documented algorithm (90968), implemented here
on its own, and opens the encrypted replies our side sends back.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import itertools
import json
import os
import secrets
import socket
import struct
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CODE_LIFETIME = 300.0
FIELD_BYTES = {("textcard", "title"): 128, ("textcard", "description"): 512, ("textcard", "url"): 2048,
               ("text", "content"): 2048}


@dataclass
class Delivered:
    """One message as a member received it."""

    msgtype: str
    body: dict
    at: float
    msgid: str

    @property
    def text(self) -> str:
        return self.body.get("description") or self.body.get("content") or ""


@dataclass
class _Code:
    userid: str | None
    issued: float
    used: bool = False


@dataclass
class FakeWeCom:
    users: set[str] = field(default_factory=set)
    mobiles: dict[str, str] = field(default_factory=dict)
    unlicensed: set[str] = field(default_factory=set)
    corp_id: str = "wwfakecorp0001"
    secret: str = "fake-app-secret-0001"
    agent_id: int = 1000002
    token_ttl: float = 7200.0  # how long a token really lives
    reported_expires_in: int | None = None  # what gettoken says (default: token_ttl)
    member_limits: tuple[tuple[int, float], ...] = ((30, 60.0), (1000, 3600.0))
    robot_keys: set[str] = field(default_factory=set)
    robot_limit: tuple[int, float] = (20, 60.0)
    latency: float = 0.0  # seconds each message/send takes
    honour_duplicate_check: bool = True  # False: see every resend (to test our own ledger alone)

    def __post_init__(self):
        self.users = {user.lower() for user in self.users}
        self.unlicensed = {user.lower() for user in self.unlicensed}
        self.lock = threading.Lock()
        self.inbox: dict[str, list[Delivered]] = defaultdict(list)
        self.dropped: Counter[str] = Counter()
        self.duplicates: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.send_sizes: list[int] = []
        self.robot_inbox: dict[str, list[dict]] = defaultdict(list)
        self.robot_refused = 0
        self._tokens: dict[str, float] = {}
        self._current = ""
        self._codes: dict[str, _Code] = {}
        self._received: dict[str, deque[float]] = defaultdict(deque)
        self._last_same: dict[tuple[str, str], float] = {}
        self._robot_times: dict[str, deque[float]] = defaultdict(deque)
        self._msgids = itertools.count(1)
        self._fail_next: list[int] = []
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeWeCom:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        app = Starlette(routes=[
            Route("/cgi-bin/gettoken", self._gettoken, methods=["GET"]),
            Route("/cgi-bin/message/send", self._message_send, methods=["POST"]),
            Route("/cgi-bin/user/getuserid", self._getuserid, methods=["POST"]),
            Route("/cgi-bin/auth/getuserinfo", self._getuserinfo, methods=["GET"]),
            Route("/cgi-bin/webhook/send", self._webhook_send, methods=["POST"]),
            Route("/_fake/state", self._state, methods=["GET"]),
        ])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="fake-wecom", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the fake WeCom server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
            self.server = None

    # --- test controls ---------------------------------------------------------------------

    def revoke_tokens(self) -> None:
        """WeCom "may invalidate access_token early": every token issued so far becomes invalid."""
        with self.lock:
            self._tokens.clear()
            self._current = ""

    def fail_next_sends(self, count: int, status: int = 500, after: int = 0) -> None:
        """After `after` more message/send calls go through, the next `count` answer with this HTTP
        status and deliver nothing."""
        with self.lock:
            self._fail_next.extend([0] * after + [status] * count)

    def issue_code(self, userid: str | None) -> str:
        """The code WeCom's OAuth redirect would carry for this member (None: a non-member)."""
        code = secrets.token_urlsafe(24)
        with self.lock:
            self._codes[code] = _Code(userid, time.monotonic())
        return code

    def received(self, userid: str) -> list[Delivered]:
        with self.lock:
            return list(self.inbox.get(userid.lower(), []))

    def total_delivered(self) -> int:
        with self.lock:
            return sum(len(items) for items in self.inbox.values())

    def state(self) -> dict:
        """Counts a test in another process can read (GET /_fake/state): per member how many
        messages arrived, and what was dropped, deduplicated or called."""
        with self.lock:
            return {"received": {user: len(items) for user, items in self.inbox.items()},
                    "dropped": dict(self.dropped), "duplicates": dict(self.duplicates),
                    "calls": dict(self.calls), "send_sizes": list(self.send_sizes),
                    "robot": {key: len(items) for key, items in self.robot_inbox.items()},
                    "robot_refused": self.robot_refused}

    async def _state(self, request: Request) -> JSONResponse:
        return JSONResponse(self.state())

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _error(code: int, message: str) -> JSONResponse:
        return JSONResponse({"errcode": code, "errmsg": message})

    def _check_token(self, request: Request) -> JSONResponse | None:
        token = request.query_params.get("access_token")
        if not token:
            return self._error(41001, "access_token missing")
        expiry = self._tokens.get(token)
        if expiry is None:
            return self._error(40014, "invalid access_token")
        if time.monotonic() >= expiry:
            return self._error(42001, "access_token expired")
        return None

    # --- endpoints -------------------------------------------------------------------------

    async def _gettoken(self, request: Request) -> JSONResponse:
        query = request.query_params
        with self.lock:
            self.calls["gettoken"] += 1
            if query.get("corpid") != self.corp_id:
                return self._error(40013, "invalid corpid")
            if query.get("corpsecret") != self.secret:
                return self._error(40001, "invalid credential")
            now = time.monotonic()
            if not self._current or self._tokens.get(self._current, 0) <= now:
                self._current = secrets.token_urlsafe(48)
                self._tokens[self._current] = now + self.token_ttl
            reported = self.reported_expires_in if self.reported_expires_in is not None else int(self.token_ttl)
            return JSONResponse({"errcode": 0, "errmsg": "ok", "access_token": self._current, "expires_in": reported})

    async def _message_send(self, request: Request) -> JSONResponse:
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return self._error(47001, "data format error")
        with self.lock:
            self.calls["message/send"] += 1
            status = self._fail_next.pop(0) if self._fail_next else 0
            if status:
                return JSONResponse({"error": "server busy"}, status_code=status)
            refused = self._check_token(request)
            if refused is not None:
                return refused
            if payload.get("agentid") != self.agent_id:
                return self._error(40056, "invalid agentid")
            msgtype = payload.get("msgtype")
            body = payload.get(msgtype) if isinstance(msgtype, str) else None
            if msgtype not in ("text", "textcard", "markdown") or not isinstance(body, dict):
                return self._error(40008, "invalid message type")
            touser = [user for user in str(payload.get("touser", "")).split("|") if user]
            if not touser:
                return self._error(40031, "invalid userid list")
            if len(touser) > 1000:
                return self._error(40058, "touser: at most 1000 userids")
            self.send_sizes.append(len(touser))
            body = self._cut(msgtype, body)
            fingerprint = json.dumps({key: value for key, value in payload.items() if key != "touser"},
                                     sort_keys=True, ensure_ascii=False)
            interval = int(payload.get("duplicate_check_interval") or 1800)
            check = payload.get("enable_duplicate_check") == 1 and self.honour_duplicate_check
            msgid = f"msg{next(self._msgids)}"
            now = time.monotonic()
            invalid, unlicensed = [], []
            for user in touser:
                low = user.lower()
                if low not in self.users:
                    invalid.append(low)
                    continue
                if low in self.unlicensed:
                    unlicensed.append(low)
                    continue
                last = self._last_same.get((low, fingerprint))
                if check and last is not None and now - last < interval:
                    self.duplicates[low] += 1
                    continue
                if not self._member_has_room(low, now):
                    self.dropped[low] += 1  # 超过部分会被丢弃不下发: silently
                    continue
                self._received[low].append(now)
                self._last_same[(low, fingerprint)] = now
                self.inbox[low].append(Delivered(msgtype, dict(body), now, msgid))
            answer = {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid),
                      "invalidparty": "", "invalidtag": "", "unlicenseduser": "|".join(unlicensed), "msgid": msgid}
            if len(invalid) == len(touser):
                answer.update(errcode=81013, errmsg="user & party & tag all invalid")
                answer.pop("msgid")
            return JSONResponse(answer)

    def _member_has_room(self, user: str, now: float) -> bool:
        times = self._received[user]
        longest = max(period for _, period in self.member_limits)
        while times and times[0] <= now - longest:
            times.popleft()
        return all(sum(1 for stamp in times if stamp > now - period) < count for count, period in self.member_limits)

    @staticmethod
    def _cut(msgtype: str, body: dict) -> dict:
        """WeCom cuts over-long fields by bytes ("超过会自动截断"), possibly inside a character."""
        out = dict(body)
        for (kind, name), limit in FIELD_BYTES.items():
            if kind == msgtype and isinstance(out.get(name), str):
                raw = out[name].encode("utf-8")
                if len(raw) > limit:
                    out[name] = raw[:limit].decode("utf-8", errors="replace")
        if msgtype == "textcard" and isinstance(out.get("btntxt"), str):
            out["btntxt"] = out["btntxt"][:4]
        return out

    async def _getuserid(self, request: Request) -> JSONResponse:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return self._error(47001, "data format error")
        with self.lock:
            self.calls["user/getuserid"] += 1
            refused = self._check_token(request)
            if refused is not None:
                return refused
            mobile = str(payload.get("mobile", ""))
            if not 5 <= len(mobile.encode()) <= 32 or not mobile.lstrip("+").replace("-", "").isdigit():
                return self._error(60103, "mobile invalid")
            userid = self.mobiles.get(mobile)
            if userid is None:
                return self._error(46004, "user no exist")
            return JSONResponse({"errcode": 0, "errmsg": "ok", "userid": userid})

    async def _getuserinfo(self, request: Request) -> JSONResponse:
        with self.lock:
            self.calls["auth/getuserinfo"] += 1
            refused = self._check_token(request)
            if refused is not None:
                return refused
            code = self._codes.get(request.query_params.get("code", ""))
            if code is None or code.used or time.monotonic() - code.issued > CODE_LIFETIME:
                return self._error(40029, "invalid code")
            code.used = True
            if code.userid is None:
                return JSONResponse({"errcode": 0, "errmsg": "ok", "openid": "oFAKE" + secrets.token_hex(8),
                                     "external_userid": "wmFAKE" + secrets.token_hex(8)})
            return JSONResponse({"errcode": 0, "errmsg": "ok", "userid": code.userid})

    async def _webhook_send(self, request: Request) -> JSONResponse:
        key = request.query_params.get("key", "")
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return self._error(47001, "data format error")
        with self.lock:
            self.calls["webhook/send"] += 1
            if key not in self.robot_keys:
                return self._error(93000, "invalid webhook url")
            count, period = self.robot_limit
            now = time.monotonic()
            times = self._robot_times[key]
            while times and times[0] <= now - period:
                times.popleft()
            if len(times) >= count:
                self.robot_refused += 1
                return self._error(45009, "api freq out of limit")
            msgtype = payload.get("msgtype")
            limit = {"text": 2048, "markdown": 4096}.get(msgtype)
            content = (payload.get(msgtype) or {}).get("content") if limit else None
            if not isinstance(content, str) or not content:
                return self._error(40008, "invalid message type")
            if len(content.encode()) > limit:
                return self._error(40058, "content exceeds the limit")
            times.append(now)
            self.robot_inbox[key].append({"msgtype": msgtype, "content": content, "at": now})
            return JSONResponse({"errcode": 0, "errmsg": "ok"})


# --- callbacks -----------------------------------------------------------------------------


def new_encoding_aes_key() -> str:
    """A fresh EncodingAESKey as WeCom's admin console makes one: 43 characters of base64."""
    return base64.b64encode(os.urandom(32)).decode("ascii").rstrip("=")


class FakeCallback:
    """WeCom's side of the callback URL: build signed, encrypted requests; open encrypted replies.

    加解密方案说明 (90968): signature = sha1 over the sorted token, timestamp, nonce and ciphertext;
    key = base64(EncodingAESKey + "="), AES-256-CBC, IV the key's first 16 bytes, PKCS#7 to
    32-byte blocks, plaintext = 16 random bytes | length (4 bytes, big-endian) | msg | corp id.
    """

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str, agent_id: int = 1000002):
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.corp_id = corp_id
        self.agent_id = agent_id

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        parts = [self.token, timestamp, nonce, encrypted]
        parts.sort()
        digest = hashlib.sha1()
        for part in parts:
            digest.update(part.encode())
        return digest.hexdigest()

    def seal(self, message: str, receive_id: str | None = None) -> str:
        raw = message.encode()
        plain = os.urandom(16) + struct.pack("!L", len(raw)) + raw + (receive_id or self.corp_id).encode()
        padder = padding.PKCS7(256).padder()
        padded = padder.update(plain) + padder.finalize()
        enc = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(enc.update(padded) + enc.finalize()).decode()

    def unseal(self, encrypted: str) -> tuple[str, str]:
        dec = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        padded = dec.update(base64.b64decode(encrypted)) + dec.finalize()
        unpadder = padding.PKCS7(256).unpadder()
        plain = unpadder.update(padded) + unpadder.finalize()
        (size,) = struct.unpack("!L", plain[16:20])
        return plain[20:20 + size].decode(), plain[20 + size:].decode()

    def _stamp(self) -> tuple[str, str]:
        return str(int(time.time())), secrets.token_hex(5)

    def verify_request(self, echo: str | None = None) -> tuple[dict[str, str], str]:
        """The GET WeCom sends when the callback URL is saved: its query, and the plaintext the
        URL must answer with."""
        echo = echo or secrets.token_hex(10)
        timestamp, nonce = self._stamp()
        echostr = self.seal(echo)
        return {"msg_signature": self.sign(timestamp, nonce, echostr), "timestamp": timestamp,
                "nonce": nonce, "echostr": echostr}, echo

    def message_xml(self, userid: str, content: str = "", msgtype: str = "text", event: str = "",
                    event_key: str = "", msg_id: str = "1234567890123456") -> str:
        """A member's message as WeCom writes it, before encryption (消息格式)."""
        root = ElementTree.Element("xml")
        fields: list[tuple[str, Any]] = [("ToUserName", self.corp_id), ("FromUserName", userid),
                                         ("CreateTime", str(int(time.time()))), ("MsgType", msgtype)]
        if msgtype == "text":
            fields += [("Content", content), ("MsgId", msg_id)]
        elif msgtype == "event":
            fields += [("Event", event), ("EventKey", event_key)]
        fields.append(("AgentID", str(self.agent_id)))
        for tag, value in fields:
            ElementTree.SubElement(root, tag).text = value
        return ElementTree.tostring(root, encoding="unicode")

    def message_request(self, message_xml: str, receive_id: str | None = None,
                        tamper: bool = False) -> tuple[dict[str, str], str]:
        """The POST WeCom sends: its query and its XML body. `tamper` breaks the signature."""
        timestamp, nonce = self._stamp()
        encrypted = self.seal(message_xml, receive_id)
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<AgentID><![CDATA[{self.agent_id}]]></AgentID>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        sign = self.sign(timestamp, nonce, encrypted)
        if tamper:
            sign = ("0" if sign[0] != "0" else "1") + sign[1:]
        return {"msg_signature": sign, "timestamp": timestamp, "nonce": nonce}, body

    def open_reply(self, reply_xml: str) -> str:
        """What WeCom does with our passive reply: check its signature, decrypt it, check the corp
        id; return the plaintext reply XML. Raise AssertionError when any check fails."""
        root = ElementTree.fromstring(reply_xml)
        encrypted = root.findtext("Encrypt") or ""
        sign = root.findtext("MsgSignature") or ""
        timestamp, nonce = root.findtext("TimeStamp") or "", root.findtext("Nonce") or ""
        assert sign == self.sign(timestamp, nonce, encrypted), "the reply's MsgSignature is wrong"
        message, receive_id = self.unseal(encrypted)
        assert receive_id == self.corp_id, "the reply is not for our corp"
        return message


def main() -> None:
    """Serve a fake WeCom in its own process, for a test or bench that runs xuefa as a child:
    python -m tests.fakes.wecom --users 5000 prints its base URL, corp id, agent id and secret
    as one JSON line, then serves until killed. Members are m00000, m00001, …"""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--token-ttl", type=float, default=7200.0)
    parser.add_argument("--robot-key", action="append", default=[])
    parser.add_argument("--no-duplicate-check", action="store_true")
    args = parser.parse_args()
    fake = FakeWeCom(users={f"m{i:05d}" for i in range(args.users)}, latency=args.latency,
                     token_ttl=args.token_ttl, robot_keys=set(args.robot_key),
                     honour_duplicate_check=not args.no_duplicate_check)
    with fake:
        print(json.dumps({"base_url": fake.base_url, "corp_id": fake.corp_id, "agent_id": fake.agent_id,
                          "secret": fake.secret}), flush=True)
        try:
            while fake.thread.is_alive():
                fake.thread.join(1.0)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
