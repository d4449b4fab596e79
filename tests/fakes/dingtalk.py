"""A fake DingTalk (钉钉) for tests and benchmarks, written from DingTalk's documentation and the
official SDKs' code, not from our client (bot/dingtalk is never imported here).

A real ASGI server (Starlette under uvicorn, with websockets) on 127.0.0.1 and a free port, in a
background thread. One server plays the three hosts (oapi.dingtalk.com, api.dingtalk.com,
login.dingtalk.com): point every base URL at `base_url`.

    with FakeDingTalk(users={"u1": "13800000001"}) as fake:
        ...

What it does, and where that comes from (O = official SDK code read from the PyPI wheels
dingtalk-stream 0.24.3 / alibabacloud-dingtalk 2.2.65; S = secondary copies of open.dingtalk.com
pages and of the TOP SDK's generated docs; see docs/channels.md):
* GET /gettoken?appkey&appsecret (S): {errcode 0, access_token, expires_in 7200}; the same token
  while valid; a wrong pair gives 40089. A token past `token_ttl` gives 42001 on use, an unknown
  or revoked one 40014.
* POST /topapi/message/corpconversation/asyncsend_v2 (S): agent_id checked, userid_list of at most
  100 (comma-separated), msg as an object or a JSON string; answers {task_id}. Per recipient:
  an unknown userid is invalid; the same content (the msg) to the same person on the same day
  (Asia/Shanghai) is not delivered and is reported in forbidden_list with code 143106; past
  `daily_cap` messages to one person a day (500 for an internal app) the message is DROPPED —
  the call still succeeds — and reported with 143105.
* getsendprogress / getsendresult (S): progress {progress_in_percent, status 0/1/2} (2 done after
  `task_delay`); send_result {invalid_user_id_list, forbidden_user_id_list, failed_user_id_list,
  read_user_id_list, unread_user_id_list, forbidden_list [{code, count, userid}]}.
* POST /topapi/v2/user/getbymobile {mobile} (S) → result.userid, 60121 when nobody has it.
* OAuth (O: alibabacloud_dingtalk oauth2_1_0/contact_1_0 models): GET {login}/oauth2/auth
  redirects to redirect_uri?authCode=…&code=…&state=… for `login_as`; POST /v1.0/oauth2/userAccessToken
  {clientId, clientSecret, code, grantType} → {accessToken, refreshToken, expireIn, corpId}, codes
  single-use; GET /v1.0/contact/users/me (x-acs-dingtalk-access-token) → {unionId, nick, openId};
  POST /topapi/user/getbyunionid {unionid} (S) → result {contact_type, userid}.
* Stream mode (O: dingtalk_stream stream.py/frames.py/handlers.py/chatbot.py):
  POST /v1.0/gateway/connections/open → {endpoint, ticket}; websocket {endpoint}?ticket= (single
  use). `push_text(userid, text)` sends a CALLBACK frame on topic /v1.0/im/bot/messages/get whose
  data (a JSON string) carries senderStaffId, text.content and a sessionWebhook on this fake;
  it expects an ACK {code 200, headers.messageId, data} and redelivers an un-ACKed frame after
  `redeliver_after` seconds. `ping()` sends SYSTEM ping (the ACK must echo its data);
  `disconnect()` sends SYSTEM disconnect and closes. POST /robot/sendBySession?session= records a
  reply (text or markdown) while the webhook is live.
* POST /robot/send?access_token&timestamp&sign (S): the custom group robot. With a secret, sign =
  urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))) and a timestamp within an hour,
  else 310000; more than 20 messages in a minute per robot → 410100.
* `inbox[userid]` is what each person received in 工作通知; `replies` what the bot said back;
  `group_inbox[token]` what each group got; `dropped` what was silently dropped.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import itertools
import json
import queue
import secrets
import socket
import threading
import time
from collections import Counter, defaultdict, deque
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute

from tests.fakes.dingtalk_stream import StreamGateway

CHINA = timezone(timedelta(hours=8))
MAX_USERIDS = 100
DAILY_CAP = 500  # internal app: 500 work notifications a person a day (TOP doc of getsendresult)
ROBOT_PER_MINUTE = 20
CODE_LIFETIME = 300.0
DUPLICATE, OVER_CAP = "143106", "143105"


def _err(code: int, message: str, status: int = 200, **extra: Any) -> JSONResponse:
    return JSONResponse({"errcode": code, "errmsg": message, **extra}, status_code=status)


def _api_err(status: int, code: str, message: str) -> JSONResponse:
    """The new API (api.dingtalk.com) answers errors as HTTP 4xx with code/message/requestid."""
    return JSONResponse({"code": code, "message": message, "requestid": secrets.token_hex(8)}, status_code=status)


class FakeDingTalk(StreamGateway):
    """The fake server and everything it saw; test controls are plain methods."""

    def __init__(self, users: dict[str, str] | None = None, *, app_key: str = "dingfakeappkey",
                 app_secret: str = "fake-app-secret", agent_id: int = 3_000_001, token_ttl: float = 7200.0,
                 daily_cap: int = DAILY_CAP, task_delay: float = 0.0, redeliver_after: float = 3.0,
                 robots: dict[str, str | None] | None = None, robot_per_minute: int = ROBOT_PER_MINUTE,
                 robot_window: float = 60.0):
        self.users: dict[str, str] = dict(users or {})  # userid -> mobile
        self.unionids = {userid: f"union-{userid}" for userid in self.users}
        self.app_key, self.app_secret, self.agent_id = app_key, app_secret, agent_id
        self.token_ttl, self.daily_cap, self.task_delay = token_ttl, daily_cap, task_delay
        self.redeliver_after = redeliver_after
        self.robots = dict(robots or {})  # access_token -> secret (None: no signature required)
        self.robot_per_minute, self.robot_window = robot_per_minute, robot_window
        self.lock = threading.Lock()
        self.day_offset = 0
        self._tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self._token: str | None = None
        self._task_ids = itertools.count(70_000_001)
        self._tasks: dict[int, dict] = {}
        self._seen: set[tuple[str, str, str]] = set()  # (day, userid, content hash)
        self._per_day: Counter[tuple[str, str]] = Counter()
        self._codes: dict[str, tuple[str, float]] = {}
        self._user_tokens: dict[str, str] = {}  # user access token -> unionid
        self._tickets: set[str] = set()
        self._outbox: queue.Queue[dict] = queue.Queue()
        self._sessions: dict[str, tuple[str, float]] = {}  # session -> (userid, expiry)
        self._robot_sent: dict[str, deque[float]] = defaultdict(deque)
        self.login_as: str | None = None
        self.calls: Counter[str] = Counter()
        self.inbox: dict[str, list[dict]] = defaultdict(list)
        self.dropped: list[tuple[str, dict]] = []
        self.acks: list[dict] = []
        self.frames_sent: list[dict] = []
        self.replies: list[dict] = []
        self.group_inbox: dict[str, list[dict]] = defaultdict(list)
        self.connections = 0
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeDingTalk:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        app = Starlette(routes=[
            Route("/gettoken", self._gettoken, methods=["GET"]),
            Route("/topapi/message/corpconversation/asyncsend_v2", self._asyncsend, methods=["POST"]),
            Route("/topapi/message/corpconversation/getsendprogress", self._progress, methods=["POST"]),
            Route("/topapi/message/corpconversation/getsendresult", self._result, methods=["POST"]),
            Route("/topapi/v2/user/getbymobile", self._getbymobile, methods=["POST"]),
            Route("/topapi/user/getbyunionid", self._getbyunionid, methods=["POST"]),
            Route("/oauth2/auth", self._authorize, methods=["GET"]),
            Route("/v1.0/oauth2/userAccessToken", self._user_access_token, methods=["POST"]),
            Route("/v1.0/contact/users/me", self._users_me, methods=["GET"]),
            Route("/v1.0/gateway/connections/open", self._open_connection, methods=["POST"]),
            WebSocketRoute("/connect", self._stream),
            Route("/robot/sendBySession", self._session_reply, methods=["POST"]),
            Route("/robot/send", self._robot_send, methods=["POST"]),
            Route("/_fake/state", self._state, methods=["GET"]),
        ])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                access_log=False, ws="websockets-sansio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="fake-dingtalk", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the fake DingTalk server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
            self.server = None

    # --- test controls ---------------------------------------------------------------------

    def day(self) -> str:
        """DingTalk's "one day" for the same-content and daily-cap rules, in China time."""
        return (datetime.now(CHINA) + timedelta(days=self.day_offset)).date().isoformat()

    def next_day(self) -> None:
        with self.lock:
            self.day_offset += 1

    def expire_tokens(self) -> None:
        """Every token issued so far is past its lifetime (42001 on use)."""
        with self.lock:
            for token in self._tokens:
                self._tokens[token] = 0.0

    def revoke_tokens(self) -> None:
        """Every token issued so far becomes unknown (40014 on use)."""
        with self.lock:
            self._tokens.clear()
            self._token = None

    def received(self, userid: str) -> list[dict]:
        with self.lock:
            return list(self.inbox.get(userid, []))

    def total_delivered(self) -> int:
        with self.lock:
            return sum(len(messages) for messages in self.inbox.values())

    def state(self) -> dict:
        """What a test running the fake in another process needs to see."""
        with self.lock:
            return {"inbox": {u: list(m) for u, m in self.inbox.items()}, "dropped": len(self.dropped),
                    "calls": dict(self.calls), "replies": list(self.replies), "acks": len(self.acks),
                    "group_inbox": {t: list(m) for t, m in self.group_inbox.items()}}

    async def _state(self, request: Request) -> JSONResponse:
        return JSONResponse(self.state())

    def wait_for(self, predicate, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("the fake DingTalk did not see it in time")
            time.sleep(0.01)

    # --- tokens ----------------------------------------------------------------------------

    async def _gettoken(self, request: Request) -> JSONResponse:
        self.calls["gettoken"] += 1
        params = request.query_params
        if params.get("appkey") != self.app_key or params.get("appsecret") != self.app_secret:
            return _err(40089, "不合法的corpid或corpsecret")
        now = time.monotonic()
        with self.lock:
            if self._token is None or self._tokens.get(self._token, 0.0) <= now:
                self._token = secrets.token_hex(16)
                self._tokens[self._token] = now + self.token_ttl
            return JSONResponse({"errcode": 0, "errmsg": "ok", "access_token": self._token, "expires_in": 7200})

    def _check_token(self, request: Request) -> JSONResponse | None:
        token = request.query_params.get("access_token")
        if not token:
            return _err(41001, "缺少access_token参数")
        with self.lock:
            expiry = self._tokens.get(token)
        if expiry is None:
            return _err(40014, "不合法的access_token")
        if expiry <= time.monotonic():
            return _err(42001, "access_token超时")
        return None

    @staticmethod
    async def _body(request: Request) -> dict:
        if request.headers.get("content-type", "").startswith("application/json"):
            return await request.json()
        return dict((await request.form()).items())

    # --- work notifications ----------------------------------------------------------------

    async def _asyncsend(self, request: Request) -> JSONResponse:
        self.calls["asyncsend_v2"] += 1
        if (refused := self._check_token(request)) is not None:
            return refused
        body = await self._body(request)
        if str(body.get("agent_id")) != str(self.agent_id):
            return _err(400039, "agentId不合法")  # (S) the exact code for a wrong agent_id is not at hand
        msg = body.get("msg")
        if isinstance(msg, str):
            msg = json.loads(msg)
        if not isinstance(msg, dict) or "msgtype" not in msg or msg["msgtype"] not in msg:
            return _err(40035, "不合法的参数: msg")
        userids = [u for u in str(body.get("userid_list", "")).split(",") if u]
        if not userids:
            return _err(1430000, "接受者为空")
        if len(userids) > MAX_USERIDS:
            return _err(40035, f"userid_list 最多{MAX_USERIDS}个")
        content = hashlib.sha256(json.dumps(msg, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        day = self.day()
        result: dict[str, Any] = {"invalid_user_id_list": [], "forbidden_user_id_list": [], "failed_user_id_list": [],
                                  "read_user_id_list": [], "unread_user_id_list": [], "forbidden_list": []}
        with self.lock:
            task_id = next(self._task_ids)
            for userid in dict.fromkeys(userids):
                if userid not in self.users:
                    result["invalid_user_id_list"].append(userid)
                elif (day, userid, content) in self._seen:
                    result["forbidden_user_id_list"].append(userid)
                    result["forbidden_list"].append({"code": DUPLICATE, "count": 1, "userid": userid})
                elif self._per_day[(day, userid)] >= self.daily_cap:
                    self.dropped.append((userid, msg))
                    result["forbidden_user_id_list"].append(userid)
                    result["forbidden_list"].append({"code": OVER_CAP, "count": self.daily_cap, "userid": userid})
                else:
                    self._seen.add((day, userid, content))
                    self._per_day[(day, userid)] += 1
                    self.inbox[userid].append(msg)
                    result["unread_user_id_list"].append(userid)
            self._tasks[task_id] = {"result": result, "done_at": time.monotonic() + self.task_delay}
        return JSONResponse({"errcode": 0, "errmsg": "ok", "task_id": task_id, "request_id": secrets.token_hex(6)})

    async def _task(self, request: Request) -> tuple[dict | None, JSONResponse | None]:
        if (refused := self._check_token(request)) is not None:
            return None, refused
        body = await self._body(request)
        if str(body.get("agent_id")) != str(self.agent_id):
            return None, _err(400039, "agentId不合法")
        try:
            task = self._tasks.get(int(body.get("task_id")))
        except (TypeError, ValueError):
            task = None
        if task is None:
            return None, _err(40035, "不合法的参数: task_id")
        return task, None

    async def _progress(self, request: Request) -> JSONResponse:
        self.calls["getsendprogress"] += 1
        task, refused = await self._task(request)
        if refused is not None:
            return refused
        done = time.monotonic() >= task["done_at"]
        return JSONResponse({"errcode": 0, "errmsg": "ok", "progress": {
            "progress_in_percent": 100 if done else 50, "status": 2 if done else 1}})

    async def _result(self, request: Request) -> JSONResponse:
        self.calls["getsendresult"] += 1
        task, refused = await self._task(request)
        if refused is not None:
            return refused
        if time.monotonic() < task["done_at"]:
            partial = {key: [] for key in task["result"]}
            return JSONResponse({"errcode": 0, "errmsg": "ok", "send_result": partial})
        return JSONResponse({"errcode": 0, "errmsg": "ok", "send_result": task["result"]})

    # --- users -----------------------------------------------------------------------------

    async def _getbymobile(self, request: Request) -> JSONResponse:
        self.calls["getbymobile"] += 1
        if (refused := self._check_token(request)) is not None:
            return refused
        mobile = str((await self._body(request)).get("mobile", ""))
        for userid, known in self.users.items():
            if known and known == mobile:
                return JSONResponse({"errcode": 0, "errmsg": "ok", "result": {"userid": userid},
                                     "request_id": secrets.token_hex(6)})
        return _err(60121, "找不到该用户")

    async def _getbyunionid(self, request: Request) -> JSONResponse:
        self.calls["getbyunionid"] += 1
        if (refused := self._check_token(request)) is not None:
            return refused
        unionid = str((await self._body(request)).get("unionid", ""))
        for userid, known in self.unionids.items():
            if known == unionid:
                return JSONResponse({"errcode": 0, "errmsg": "ok",
                                     "result": {"contact_type": 0, "userid": userid}})
        return _err(60121, "找不到该用户")

    # --- OAuth2 sign-in --------------------------------------------------------------------

    def issue_code(self, userid: str | None) -> str:
        """An authCode as DingTalk's login page gives after the person agrees; userid None is a
        DingTalk account outside the organisation (a unionId no getbyunionid knows)."""
        unionid = self.unionids.get(userid, f"union-outsider-{secrets.token_hex(3)}") if userid else \
            f"union-outsider-{secrets.token_hex(3)}"
        code = secrets.token_hex(16)
        with self.lock:
            self._codes[code] = (unionid, time.monotonic() + CODE_LIFETIME)
        return code

    async def _authorize(self, request: Request) -> Response:
        params = request.query_params
        if params.get("client_id") != self.app_key or params.get("response_type") != "code" \
                or "openid" not in params.get("scope", "").split() or not params.get("redirect_uri"):
            return Response("bad authorize request", status_code=400)
        if self.login_as is None:
            return Response("no one is signed in to the fake DingTalk", status_code=403)
        code = self.issue_code(self.login_as)
        query = urlencode({"authCode": code, "code": code, "state": params.get("state", "")})
        target = params["redirect_uri"]
        return RedirectResponse(f"{target}{'&' if '?' in target else '?'}{query}", status_code=302)

    async def _user_access_token(self, request: Request) -> JSONResponse:
        self.calls["userAccessToken"] += 1
        body = await request.json()
        if body.get("clientId") != self.app_key or body.get("clientSecret") != self.app_secret:
            return _api_err(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        if body.get("grantType") != "authorization_code":
            return _api_err(400, "unsupportedGrantType", "不支持的grantType")
        with self.lock:
            entry = self._codes.pop(str(body.get("code", "")), None)
        if entry is None or entry[1] < time.monotonic():
            return _api_err(400, "invalidAuthCode", "不合法的临时授权码")
        token = secrets.token_hex(16)
        with self.lock:
            self._user_tokens[token] = entry[0]
        return JSONResponse({"accessToken": token, "refreshToken": secrets.token_hex(16), "expireIn": 7200,
                             "corpId": "ding-corp"})

    async def _users_me(self, request: Request) -> JSONResponse:
        self.calls["users/me"] += 1
        with self.lock:
            unionid = self._user_tokens.get(request.headers.get("x-acs-dingtalk-access-token", ""))
        if unionid is None:
            return _api_err(401, "InvalidAuthentication", "不合法的access_token")
        return JSONResponse({"nick": "钉钉用户", "unionId": unionid, "openId": f"open-{unionid}",
                             "avatarUrl": "", "stateCode": "86"})

    # --- custom group robot ----------------------------------------------------------------

    @staticmethod
    def robot_sign(secret: str, timestamp: str) -> str:
        """The documented signature, computed here on its own: base64 HMAC-SHA256, URL-encoded."""
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    async def _robot_send(self, request: Request) -> JSONResponse:
        self.calls["robot/send"] += 1
        # parse_qs of the raw query: the sign arrives URL-encoded, a "+" that was not encoded is a space
        query = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        token = query.get("access_token", "")
        if token not in self.robots:
            return _err(300001, "token is not exist")
        secret = self.robots[token]
        if secret is not None:
            timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
            try:
                fresh = abs(time.time() * 1000 - int(timestamp)) <= 3_600_000
            except ValueError:
                fresh = False
            if not fresh or not hmac.compare_digest(sign, self.robot_sign(secret, timestamp)):
                return _err(310000, "sign not match")
        now = time.monotonic()
        with self.lock:
            window = self._robot_sent[token]
            while window and now - window[0] > self.robot_window:
                window.popleft()
            if len(window) >= self.robot_per_minute:
                return _err(410100, "send too fast, exceed 20 times per minute")
            window.append(now)
        body = await request.json()
        kind = body.get("msgtype")
        if kind not in ("text", "markdown", "link", "actionCard", "feedCard") or not isinstance(body.get(kind), dict):
            return _err(40035, "不合法的参数: msgtype")
        with self.lock:
            self.group_inbox[token].append(body)
        return _err(0, "ok")


def main() -> None:
    """Serve a fake DingTalk in its own process, for a test or bench that runs xuefa as a child:
    python -m tests.fakes.dingtalk --users 5000 prints its base URL, app key, secret and agent id as
    one JSON line, then serves until killed. Userids are d00000, d00001, … with mobiles 1390000xxxx;
    --login-as makes the fake's login page sign that userid in."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--token-ttl", type=float, default=7200.0)
    parser.add_argument("--task-delay", type=float, default=0.0)
    parser.add_argument("--daily-cap", type=int, default=DAILY_CAP)
    parser.add_argument("--login-as", default=None)
    parser.add_argument("--robot", action="append", default=[], help="access_token[:secret]")
    args = parser.parse_args()
    robots = {entry.split(":", 1)[0]: (entry.split(":", 1)[1] if ":" in entry else None) for entry in args.robot}
    fake = FakeDingTalk(users={f"d{i:05d}": f"139{i:08d}" for i in range(args.users)}, token_ttl=args.token_ttl,
                        task_delay=args.task_delay, daily_cap=args.daily_cap, robots=robots)
    fake.login_as = args.login_as
    with fake:
        print(json.dumps({"base_url": fake.base_url, "app_key": fake.app_key, "app_secret": fake.app_secret,
                          "agent_id": fake.agent_id}), flush=True)
        try:
            while fake.thread.is_alive():
                fake.thread.join(1.0)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
