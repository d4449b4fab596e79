"""A thin async client of DingTalk's server API for an internal app (企业内部应用).

Two hosts, as DingTalk has them: the old API at oapi.dingtalk.com (gettoken, the work notifications
under /topapi/message/corpconversation, the user look-ups under /topapi) with its access_token in the
query and errcode in the body; and the new API at api.dingtalk.com (/v1.0/...: OAuth2 user tokens,
contact/users/me, the Stream gateway) with HTTP status codes and {code, message} bodies. Both base URLs
are settings, so tests point them at a fake on 127.0.0.1.

Limits this client keeps (numbers and where they come from; "secondary" means a copy of the official
page found on a third-party site, the official page itself not being at hand):
* work notifications (工作通知), asyncsend_v2: at most 100 userids a call (userid_list, secondary copy
  of open.dingtalk.com "发送工作通知"); the same content to the same person only once a day, and at
  most 500 notices a person a day for an internal app; past either DingTalk still answers ok and
  drops the message, reporting it later in getsendresult's forbidden_list with 143106 (duplicate) or
  143105 (daily cap) (TOP docs of dingtalk.oapi.message.corpconversation.getsendresult at
  developer.alibaba.com, and a copy of the error table: 143103/143104 per-minute person-times,
  143105 daily cap, 143106 duplicate). We never let a person reach the daily cap: DAILY_CAP_RESERVE
  below it we stop sending to them for the day (an in-process count).
* API rate: 20 calls a second per app and per API on the standard edition (secondary: an Alibaba
  Cloud developer-community answer quoting the "API调用频率限制" page); we pace each API at half that,
  CALLS_PER_SECOND. The standard edition also caps the API calls a month (errcode 90020, DingTalk's
  own help centre): one batch of 100 costs 2-3 calls (send, progress, result), never one per person.
* access_token: 7200 s (expires_in); refreshed REFRESH_MARGIN before, and once on 40014 (不合法的
  access_token), 42001 (access_token超时) or 88 with such a sub_code (secondary copies of the global
  error-code page).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

__all__ = [
    "BATCH_LIMIT", "DAILY_CAP", "DingTalkApiError", "DingTalkAuthError", "DingTalkClient", "DingTalkError",
    "DingTalkSignInError", "DingTalkUnavailable", "NoticeOutcome",
]

OAPI_URL = "https://oapi.dingtalk.com"
API_URL = "https://api.dingtalk.com"
LOGIN_URL = "https://login.dingtalk.com"
BATCH_LIMIT = 100
DAILY_CAP = 500
DAILY_CAP_RESERVE = 20
CALLS_PER_SECOND = 10.0
REFRESH_MARGIN = 300.0
TOKEN_ERRCODES = frozenset({40014, 42001})
BAD_CREDENTIALS = frozenset({40089, 40001, 40002, 40013})
USER_NOT_FOUND = 60121
DUPLICATE_CODES = frozenset({"143106", "143206"})
CAP_CODES = frozenset({"143105", "143205"})
CHINA = ZoneInfo("Asia/Shanghai")
# How long to wait before each getsendprogress poll of an asyncsend_v2 task (seconds).
RESULT_DELAYS = (0.3, 0.7, 1.5, 3.0, 6.0)

# What happened to one recipient of a work notification, as DingTalk reports it.
# delivered: in read_user_id_list/unread_user_id_list; duplicate: refused as the same content today
# (the person has it already); invalid: not a userid of this organisation; capped: over the daily cap
# (ours or DingTalk's); failed: failed_user_id_list, another forbidden code, or no result in time.
NoticeOutcome = str


class DingTalkError(Exception):
    """Anything that went wrong talking to DingTalk."""


class DingTalkUnavailable(DingTalkError):
    """DingTalk could not be reached or answered with a server error: try again later."""


class DingTalkApiError(DingTalkError):
    """DingTalk refused a call: errcode/errmsg (old API) or code/message (new API)."""

    def __init__(self, api: str, code: int | str, message: str):
        super().__init__(f"{api}: {code} {message}")
        self.api, self.code, self.message = api, code, message


class DingTalkAuthError(DingTalkApiError):
    """The app's AppKey/AppSecret were refused: a setting is wrong, retrying will not help."""


class DingTalkSignInError(DingTalkError):
    """A sign-in could not be completed: the code was used, expired or forged, or the DingTalk
    account is not a member of the organisation."""


@dataclass
class _Pacer:
    """At most `rate` calls a second to one API: each caller waits its turn."""

    rate: float
    _next: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wait(self) -> None:
        if self.rate <= 0:
            return
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(now, self._next) + 1.0 / self.rate


class DingTalkClient:
    """One internal app's access to DingTalk; one per process, sharing its access token."""

    def __init__(self, app_key: str, app_secret: str, agent_id: int | str, oapi_url: str = OAPI_URL,
                 api_url: str = API_URL, http: httpx.AsyncClient | None = None, *, login_url: str = LOGIN_URL,
                 calls_per_second: float = CALLS_PER_SECOND, daily_cap: int = DAILY_CAP,
                 daily_cap_reserve: int = DAILY_CAP_RESERVE, result_delays: Sequence[float] = RESULT_DELAYS,
                 today: Callable[[], date] | None = None):
        self.app_key, self.app_secret, self.agent_id = app_key, app_secret, str(agent_id)
        self.oapi_url, self.api_url, self.login_url = (u.rstrip("/") for u in (oapi_url, api_url, login_url))
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        self._own_http = http is None
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        self._pacers: dict[str, _Pacer] = {}
        self._calls_per_second = calls_per_second
        self.daily_limit = max(1, daily_cap - daily_cap_reserve)
        self.result_delays = tuple(result_delays)
        self._today = today or (lambda: datetime.now(CHINA).date())
        self._sent_today: Counter[tuple[date, str]] = Counter()
        self.token_fetches = 0

    async def close(self) -> None:
        if self._own_http:
            await self._http.aclose()

    # --- transport -------------------------------------------------------------------------

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise DingTalkUnavailable(f"{url.split('?')[0]}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise DingTalkUnavailable(f"{url.split('?')[0]}: HTTP {response.status_code}")
        return response

    @staticmethod
    def _json(response: httpx.Response, api: str) -> dict:
        try:
            body = response.json()
        except ValueError as exc:
            raise DingTalkUnavailable(f"{api}: not JSON (HTTP {response.status_code})") from exc
        if not isinstance(body, dict):
            raise DingTalkUnavailable(f"{api}: unexpected answer")
        return body

    def _pacer(self, api: str) -> _Pacer:
        if api not in self._pacers:
            self._pacers[api] = _Pacer(self._calls_per_second)
        return self._pacers[api]

    # --- access token (old API) ------------------------------------------------------------

    async def access_token(self) -> str:
        """The app's access token, fetched once and shared until shortly before it expires."""
        async with self._token_lock:
            if self._token is not None and time.monotonic() < self._token_expires:
                return self._token
            response = await self._request("GET", f"{self.oapi_url}/gettoken",
                                           params={"appkey": self.app_key, "appsecret": self.app_secret})
            self.token_fetches += 1
            body = self._json(response, "gettoken")
            errcode = int(body.get("errcode", -1))
            if errcode in BAD_CREDENTIALS:
                raise DingTalkAuthError("gettoken", errcode, str(body.get("errmsg", "")))
            if errcode != 0 or not body.get("access_token"):
                if errcode == -1:
                    raise DingTalkUnavailable(f"gettoken: {body.get('errmsg', '系统繁忙')}")
                raise DingTalkApiError("gettoken", errcode, str(body.get("errmsg", "")))
            lifetime = float(body.get("expires_in") or 7200)
            self._token = str(body["access_token"])
            self._token_expires = time.monotonic() + max(lifetime - REFRESH_MARGIN, lifetime / 2)
            return self._token

    async def _forget_token(self, token: str) -> None:
        async with self._token_lock:
            if self._token == token:  # a concurrent caller may have refreshed it already
                self._token = None

    @staticmethod
    def _token_refused(body: dict) -> bool:
        errcode = int(body.get("errcode", 0))
        if errcode in TOKEN_ERRCODES:
            return True
        return errcode == 88 and str(body.get("sub_code", "")) in {str(code) for code in TOKEN_ERRCODES}

    async def oapi(self, path: str, payload: dict | None = None, *, api: str | None = None) -> dict:
        """POST an old-API call with the access token; refresh the token once if DingTalk refuses it.
        Returns the body on errcode 0, raises DingTalkApiError otherwise."""
        api = api or path.rsplit("/", 1)[-1]
        for attempt in (1, 2):
            token = await self.access_token()
            await self._pacer(api).wait()
            response = await self._request("POST", f"{self.oapi_url}{path}", params={"access_token": token},
                                           json=payload or {})
            body = self._json(response, api)
            if self._token_refused(body) and attempt == 1:
                await self._forget_token(token)
                continue
            errcode = int(body.get("errcode", -1))
            if errcode == 0:
                return body
            if errcode == -1:
                raise DingTalkUnavailable(f"{api}: {body.get('errmsg', '系统繁忙')}")
            raise DingTalkApiError(api, errcode, str(body.get("errmsg", "")))
        raise AssertionError("unreachable")

    # --- work notifications ----------------------------------------------------------------

    def has_room(self, userid: str) -> bool:
        """Whether one more notice to this person today stays below DingTalk's daily cap."""
        return self._sent_today[(self._today(), userid)] < self.daily_limit

    async def send_work_notice(self, userids: Sequence[str], msg: dict) -> dict[str, NoticeOutcome]:
        """Send one work notification (msg: {"msgtype": …}) to at most BATCH_LIMIT people and wait for
        DingTalk's per-person result. Raises DingTalkUnavailable/DingTalkApiError when the send itself
        fails (then nothing was sent)."""
        userids = list(dict.fromkeys(u for u in userids if u))
        if len(userids) > BATCH_LIMIT:
            raise ValueError(f"asyncsend_v2 takes at most {BATCH_LIMIT} userids, not {len(userids)}")
        outcomes: dict[str, NoticeOutcome] = {u: "capped" for u in userids if not self.has_room(u)}
        targets = [u for u in userids if u not in outcomes]
        if not targets:
            return outcomes
        body = await self.oapi("/topapi/message/corpconversation/asyncsend_v2",
                               {"agent_id": self.agent_id, "userid_list": ",".join(targets), "msg": msg})
        task_id = body.get("task_id")
        day = self._today()
        for userid in targets:  # counted as soon as DingTalk may have delivered it
            self._sent_today[(day, userid)] += 1
        result = await self._send_result(task_id)
        outcomes.update(self.classify(targets, result))
        for userid in targets:
            if outcomes[userid] in ("invalid", "duplicate"):
                self._sent_today[(day, userid)] -= 1
            elif outcomes[userid] == "capped":  # DingTalk counts more than we did: nothing more today
                self._sent_today[(day, userid)] = max(self._sent_today[(day, userid)], self.daily_limit)
        return outcomes

    async def _send_result(self, task_id: Any) -> dict | None:
        """Poll getsendprogress until the task is done, then read getsendresult; None if not done in time."""
        payload = {"agent_id": self.agent_id, "task_id": task_id}
        for delay in self.result_delays:
            await asyncio.sleep(delay)
            try:
                progress = (await self.oapi("/topapi/message/corpconversation/getsendprogress", payload))
            except DingTalkUnavailable:
                continue
            if int((progress.get("progress") or {}).get("status", 0)) == 2:
                body = await self.oapi("/topapi/message/corpconversation/getsendresult", payload)
                return body.get("send_result") or {}
        return None

    @staticmethod
    def _ids(value: Any) -> set[str]:
        """A userid list as DingTalk gives it: a JSON list, or a comma-separated string."""
        if not value:
            return set()
        if isinstance(value, str):
            return {part.strip() for part in value.split(",") if part.strip()}
        return {str(part) for part in value}

    @classmethod
    def classify(cls, userids: Iterable[str], result: dict | None) -> dict[str, NoticeOutcome]:
        """Each recipient's outcome from getsendresult's send_result (None: no result in time)."""
        userids = list(userids)
        if result is None:
            return {u: "failed" for u in userids}
        invalid = cls._ids(result.get("invalid_user_id_list"))
        failed = cls._ids(result.get("failed_user_id_list"))
        delivered = cls._ids(result.get("read_user_id_list")) | cls._ids(result.get("unread_user_id_list"))
        forbidden = {str(item.get("userid")): str(item.get("code")) for item in result.get("forbidden_list") or []
                     if isinstance(item, dict)}
        for userid in cls._ids(result.get("forbidden_user_id_list")):
            forbidden.setdefault(userid, "")
        outcomes: dict[str, NoticeOutcome] = {}
        for userid in userids:
            if userid in invalid:
                outcomes[userid] = "invalid"
            elif userid in forbidden:
                code = forbidden[userid]
                outcomes[userid] = ("duplicate" if code in DUPLICATE_CODES else
                                    "capped" if code in CAP_CODES else "failed")
            elif userid in failed:
                outcomes[userid] = "failed"
            elif userid in delivered:
                outcomes[userid] = "delivered"
            else:
                outcomes[userid] = "failed"  # not reported at all: unknown, try again (a resend is harmless)
        return outcomes

    # --- users -----------------------------------------------------------------------------

    async def userid_by_mobile(self, mobile: str) -> str | None:
        """The userid of the member with this mobile number, None when the organisation has none."""
        try:
            body = await self.oapi("/topapi/v2/user/getbymobile", {"mobile": mobile})
        except DingTalkApiError as exc:
            if exc.code == USER_NOT_FOUND:
                return None
            raise
        return str((body.get("result") or {}).get("userid") or "") or None

    async def userid_by_unionid(self, unionid: str) -> str | None:
        try:
            body = await self.oapi("/topapi/user/getbyunionid", {"unionid": unionid})
        except DingTalkApiError as exc:
            if exc.code == USER_NOT_FOUND:
                return None
            raise
        return str((body.get("result") or {}).get("userid") or "") or None

    # --- OAuth2 sign-in (new API) ----------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where to send the browser to sign in with DingTalk (inside DingTalk it signs in at once)."""
        query = urlencode({"redirect_uri": redirect_uri, "response_type": "code", "client_id": self.app_key,
                           "scope": "openid", "state": state, "prompt": "consent"})
        return f"{self.login_url}/oauth2/auth?{query}"

    async def _api(self, method: str, path: str, api: str, **kwargs: Any) -> dict:
        response = await self._request(method, f"{self.api_url}{path}", **kwargs)
        body = self._json(response, api)
        if response.status_code >= 400:
            code, message = str(body.get("code", response.status_code)), str(body.get("message", ""))
            if response.status_code == 401 or "clientid" in code.lower() or "secret" in code.lower():
                raise DingTalkAuthError(api, code, message)
            raise DingTalkApiError(api, code, message)
        return body

    async def userid_from_code(self, code: str) -> str:
        """The userid of whoever signed in with this authCode (single-use). Raises DingTalkSignInError
        for a used, expired or forged code or someone outside the organisation."""
        if not code or len(code) > 256:
            raise DingTalkSignInError("no sign-in code")
        try:
            token = await self._api("POST", "/v1.0/oauth2/userAccessToken", "userAccessToken", json={
                "clientId": self.app_key, "clientSecret": self.app_secret, "code": code,
                "grantType": "authorization_code"})
        except DingTalkAuthError:
            raise
        except DingTalkApiError as exc:
            raise DingTalkSignInError(f"the sign-in code was refused: {exc.code}") from exc
        access = str(token.get("accessToken") or "")
        if not access:
            raise DingTalkSignInError("no user access token in DingTalk's answer")
        try:
            me = await self._api("GET", "/v1.0/contact/users/me", "users/me",
                                 headers={"x-acs-dingtalk-access-token": access})
        except DingTalkApiError as exc:
            raise DingTalkSignInError(f"users/me was refused: {exc.code}") from exc
        unionid = str(me.get("unionId") or "")
        if not unionid:
            raise DingTalkSignInError("no unionId in users/me")
        userid = await self.userid_by_unionid(unionid)
        if userid is None:
            raise DingTalkSignInError("this DingTalk account is not a member of the organisation")
        return userid

    # --- Stream gateway (new API) ----------------------------------------------------------

    async def open_stream(self, topics: Sequence[str]) -> tuple[str, str]:
        """Ask the gateway for a Stream connection: (endpoint, ticket)."""
        body = await self._api("POST", "/v1.0/gateway/connections/open", "connections/open", json={
            "clientId": self.app_key, "clientSecret": self.app_secret,
            "subscriptions": [{"type": "CALLBACK", "topic": topic} for topic in topics],
            "ua": "xuefa", "localIp": ""})
        endpoint, ticket = body.get("endpoint"), body.get("ticket")
        if not endpoint or not ticket:
            raise DingTalkUnavailable(f"connections/open: no endpoint or ticket in {json.dumps(body)[:200]}")
        return str(endpoint), str(ticket)
