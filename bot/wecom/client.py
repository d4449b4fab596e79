"""A thin async client of WeCom's (企业微信) server API for one self-built app (自建应用).

Only what xuefa uses: the access token, application messages (textcard, text), user-by-mobile,
the OAuth2 snsapi_base sign-in (authorize URL and auth/getuserinfo). Endpoints and error codes
follow developer.work.weixin.qq.com; the limits it paces itself within are in bot.wecom.limits.

The access token is fetched once per process (an asyncio.Lock keeps concurrent callers to one
gettoken), cached for its expires_in less a margin, and refetched once when WeCom says it is
invalid or expired (40001, 40014, 42001: WeCom may revoke a token early). The secret and the
token travel only in query strings that are never put into exception messages.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.wecom.limits import (
    API_LIMITS,
    DUPLICATE_CHECK_DEFAULT,
    DUPLICATE_CHECK_MAX,
    MEMBER_LIMITS,
    MESSAGE_BATCH,
    TEXT_BYTES,
    TEXTCARD_BUTTON_CHARS,
    TEXTCARD_DESCRIPTION_BYTES,
    TEXTCARD_TITLE_BYTES,
    TEXTCARD_URL_BYTES,
    Pacer,
    trim_bytes,
)

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"
DEFAULT_OAUTH_BASE = "https://open.weixin.qq.com"
# 全局错误码 https://developer.work.weixin.qq.com/document/path/90313
TOKEN_INVALID = frozenset({40001, 40014, 42001})  # invalid credential / invalid access_token / expired
INVALID_CODE = 40029
USER_NOT_FOUND = 46004  # 指定的成员不存在
MOBILE_INVALID = 60103  # 手机号码不合法
ALL_RECEIVERS_INVALID = 81013  # UserID、部门ID、标签ID全部非法或无权限
TRANSPORT = -1  # our own code: no JSON answer (network error, HTTP 5xx, garbage)
_STATE = re.compile(r"[A-Za-z0-9]{0,128}")


class WeComError(Exception):
    """WeCom answered errcode != 0 (or, with errcode -1, did not answer usably)."""

    def __init__(self, errcode: int, errmsg: str = ""):
        super().__init__(f"WeCom errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeComTransportError(WeComError):
    """No usable answer: the network failed, WeCom returned an HTTP error, or not JSON. Transient."""

    def __init__(self, errmsg: str):
        super().__init__(TRANSPORT, errmsg)


class WeComInvalidCode(WeComError):
    """The OAuth code is unknown, already used, or older than 5 minutes (40029)."""


class WeComNotMember(WeComError):
    """The person who signed in is not a member of the corp (WeCom gave an openid, no userid)."""


@dataclass(frozen=True)
class SendResult:
    """Per-userid outcome of one application message: "sent", "invalid" (not a member, left, or
    outside the app's visible range), "unlicensed" (no interface licence), "deferred" (held back
    by the per-member pacing longer than the client may wait: send again later), or "failed" (a
    later call of a send split by batch or pacing failed after earlier calls went through)."""

    outcomes: dict[str, str]
    msgids: tuple[str, ...] = ()
    error: str = ""  # why the users marked "failed" were not sent (a later call of a split send failed)

    def users(self, outcome: str) -> list[str]:
        return [user for user, got in self.outcomes.items() if got == outcome]


@dataclass
class _Token:
    value: str = ""
    deadline: float = 0.0
    fetches: int = 0
    failure: WeComError | None = None  # the last failed fetch, repeated to callers for a moment
    failed_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)



async def request_json(http: httpx.AsyncClient, method: str, base_url: str, path: str,
                       params: dict[str, Any], json: Any = None) -> dict:
    """Make one call and return WeCom's JSON object; anything short of one is a transport error
    (the caller reads errcode: WeCom answers its own errors with HTTP 200)."""
    try:
        response = await http.request(method, base_url + path, params=params, json=json)
    except httpx.HTTPError as exc:
        raise WeComTransportError(f"{path}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise WeComTransportError(f"{path}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise WeComTransportError(f"{path}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise WeComTransportError(f"{path}: the answer is not a JSON object")
    return data

class WeComClient:
    """One self-built app of one corp. Use one instance per process and close() it at the end."""

    def __init__(
        self,
        corp_id: str,
        agent_id: str | int,
        secret: str,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.AsyncClient | None = None,
        *,
        member_limits: Iterable[tuple[int, float]] = MEMBER_LIMITS,
        api_limits: Iterable[tuple[int, float]] = API_LIMITS,
        max_member_wait: float = 60.0,
        pacing_margin: float = 2.0,
        timeout: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.corp_id = corp_id
        self.agent_id = int(agent_id)
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self._own_http = http is None
        self.http = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self.monotonic = monotonic
        self._token = _Token()
        self.member_pacer = Pacer(member_limits, monotonic, margin=pacing_margin)
        self.api_pacer = Pacer(api_limits, monotonic, margin=pacing_margin)
        self.max_member_wait = max_member_wait
        self.token_retry_after = 5.0  # seconds a failed gettoken is answered from memory

    @property
    def token_fetches(self) -> int:
        """How many times this client called gettoken (for tests and the bench)."""
        return self._token.fetches

    # --- transport -------------------------------------------------------------------------

    async def _raw(self, method: str, path: str, params: dict[str, Any], json: Any = None) -> dict:
        return await request_json(self.http, method, self.base_url, path, params, json)

    async def access_token(self, stale: str | None = None) -> str:
        """The cached access token; fetched when there is none, it is near its end, or it is
        `stale` (the token a call was just refused with). Concurrent callers share one fetch."""
        token = self._token
        if token.value and token.value != stale and self.monotonic() < token.deadline:
            return token.value
        async with token.lock:
            if token.value and token.value != stale and self.monotonic() < token.deadline:
                return token.value
            if token.failure is not None and self.monotonic() - token.failed_at < self.token_retry_after:
                raise token.failure  # callers queued behind a failed fetch do not hammer gettoken
            await self.api_pacer.acquire("/cgi-bin/gettoken")
            token.fetches += 1
            try:
                data = await self._raw("GET", "/cgi-bin/gettoken", {"corpid": self.corp_id, "corpsecret": self._secret})
                code = int(data.get("errcode", 0) or 0)
                if code != 0 or not data.get("access_token"):
                    raise WeComError(code, str(data.get("errmsg", "gettoken gave no access_token")))
            except WeComError as exc:
                token.failure, token.failed_at = exc, self.monotonic()
                raise
            token.failure = None
            expires_in = float(data.get("expires_in") or 7200)
            token.value = str(data["access_token"])
            token.deadline = self.monotonic() + expires_in - min(300.0, expires_in / 10)
            return token.value

    async def call(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> dict:
        """Call an API with the access token; refetch the token once if WeCom refuses it.
        Return the JSON answer (errcode 0); raise WeComError otherwise."""
        stale = None
        for attempt in range(2):
            token = await self.access_token(stale)
            data = await self._raw(method, path, {**(params or {}), "access_token": token}, json)
            code = int(data.get("errcode", 0) or 0)
            if code in TOKEN_INVALID and attempt == 0:
                stale = token
                continue
            if code != 0:
                raise WeComError(code, str(data.get("errmsg", "")))
            return data
        raise AssertionError("unreachable")

    # --- application messages --------------------------------------------------------------

    async def send_textcard(
        self,
        userids: Sequence[str],
        title: str,
        description: str,
        url: str,
        btntxt: str = "详情",
        *,
        duplicate_check_interval: int = DUPLICATE_CHECK_DEFAULT,
    ) -> SendResult:
        """Send one text card to every userid (1,000 a call), within the per-member limits.

        Fields are cut to WeCom's limits on character boundaries (WeCom would cut mid-character).
        With the duplicate check on, the same card to the same people within the interval is
        delivered once, so a resend after a crash shows nothing twice."""
        if not url.startswith(("http://", "https://")):
            raise ValueError("a textcard url must be absolute (http/https)")
        card = {
            "title": trim_bytes(title, TEXTCARD_TITLE_BYTES),
            "description": trim_bytes(description, TEXTCARD_DESCRIPTION_BYTES),
            "url": trim_bytes(url, TEXTCARD_URL_BYTES),
            "btntxt": (btntxt or "详情")[:TEXTCARD_BUTTON_CHARS],
        }
        return await self._send(userids, "textcard", card, duplicate_check_interval)

    async def send_text(
        self, userids: Sequence[str], content: str, *, duplicate_check_interval: int = DUPLICATE_CHECK_DEFAULT
    ) -> SendResult:
        """Send a text message (content cut to 2,048 bytes) to every userid."""
        return await self._send(userids, "text", {"content": trim_bytes(content, TEXT_BYTES)}, duplicate_check_interval)

    async def _send(self, userids: Sequence[str], msgtype: str, body: dict, interval: int) -> SendResult:
        if not 0 < interval <= DUPLICATE_CHECK_MAX:
            raise ValueError(f"duplicate_check_interval must be 1..{DUPLICATE_CHECK_MAX} seconds")
        unique = list(dict.fromkeys(user for user in userids if user))
        outcomes: dict[str, str] = {}
        msgids: list[str] = []
        error = ""
        self.member_pacer.windows.forget_idle()
        for start in range(0, len(unique), MESSAGE_BATCH):
            pending = unique[start:start + MESSAGE_BATCH]
            while pending and not error:
                claimed, wait = await self.member_pacer.claim(pending)
                if claimed:
                    try:
                        outcome, msgid = await self._send_once(claimed, msgtype, body, interval)
                    except WeComError as exc:
                        if not outcomes:
                            raise  # nothing went through: the whole send failed
                        error = str(exc)  # keep what earlier calls sent; the rest failed
                        break
                    outcomes.update(outcome)
                    if msgid:
                        msgids.append(msgid)
                    taken = set(claimed)
                    pending = [user for user in pending if user not in taken]
                if not pending:
                    break
                if wait > self.max_member_wait:
                    outcomes.update({user: "deferred" for user in pending})
                    break
                await asyncio.sleep(wait)
        return SendResult({user: outcomes.get(user, "failed") for user in unique}, tuple(msgids), error)

    async def _send_once(self, touser: list[str], msgtype: str, body: dict, interval: int) -> tuple[dict, str]:
        payload = {
            "touser": "|".join(touser),
            "msgtype": msgtype,
            "agentid": self.agent_id,
            msgtype: body,
            "enable_duplicate_check": 1,
            "duplicate_check_interval": interval,
        }
        try:
            data = await self.call("POST", "/cgi-bin/message/send", json=payload)
        except WeComError as exc:
            if exc.errcode == ALL_RECEIVERS_INVALID:
                return {user: "invalid" for user in touser}, ""
            raise
        invalid = _id_set(data.get("invaliduser"))
        unlicensed = _id_set(data.get("unlicenseduser"))
        outcome = {}
        for user in touser:
            low = user.lower()  # invaliduser comes back lower-cased (userids are case-insensitive)
            outcome[user] = "invalid" if low in invalid else "unlicensed" if low in unlicensed else "sent"
        return outcome, str(data.get("msgid", ""))

    # --- directory and sign-in --------------------------------------------------------------

    async def userid_by_mobile(self, mobile: str) -> str | None:
        """The userid of the member with this mobile number, or None when there is none.

        Beware: wrong numbers beyond 20% of the corp's member cap block this API for a day, so
        callers should look up only numbers they believe right (a roster's 手机 column)."""
        mobile = mobile.strip()
        await self.api_pacer.acquire("/cgi-bin/user/getuserid")
        try:
            data = await self.call("POST", "/cgi-bin/user/getuserid", json={"mobile": mobile})
        except WeComError as exc:
            if exc.errcode in (USER_NOT_FOUND, MOBILE_INVALID):
                return None
            raise
        return str(data["userid"]) if data.get("userid") else None

    async def userid_from_code(self, code: str) -> str:
        """The userid behind an OAuth2 code (single-use, valid 5 minutes).

        Raise WeComInvalidCode for an unknown, used or expired code, WeComNotMember when the person
        is not a member of the corp (WeCom then gives only an openid/external_userid)."""
        if not code or len(code) > 512:
            raise WeComInvalidCode(INVALID_CODE, "the code is empty or longer than 512 bytes")
        try:
            data = await self.call("GET", "/cgi-bin/auth/getuserinfo", params={"code": code})
        except WeComError as exc:
            if exc.errcode == INVALID_CODE:
                raise WeComInvalidCode(exc.errcode, exc.errmsg) from None
            raise
        userid = data.get("userid") or data.get("UserId")
        if not userid:
            raise WeComNotMember(0, "not a member of the corp")
        return str(userid)

    def authorize_url(self, redirect_uri: str, state: str, *, oauth_base: str = DEFAULT_OAUTH_BASE) -> str:
        """The snsapi_base (silent) sign-in link: WeCom's browser comes back to
        redirect_uri?code=CODE&state=STATE. redirect_uri's host must be the app's trusted domain."""
        return authorize_url(self.corp_id, self.agent_id, redirect_uri, state, oauth_base=oauth_base)

    async def close(self) -> None:
        if self._own_http:
            await self.http.aclose()


def authorize_url(
    corp_id: str, agent_id: str | int, redirect_uri: str, state: str, *, oauth_base: str = DEFAULT_OAUTH_BASE
) -> str:
    """构造网页授权链接 (https://developer.work.weixin.qq.com/document/path/91022): state is
    [a-zA-Z0-9], at most 128 bytes; agentid is recommended; #wechat_redirect is required."""
    if not _STATE.fullmatch(state):
        raise ValueError("state must be 0-128 letters or digits")
    query = urlencode({
        "appid": corp_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "snsapi_base",
        "state": state,
        "agentid": str(agent_id),
    })
    return f"{oauth_base.rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect"


def _id_set(value: Any) -> set[str]:
    if not value:
        return set()
    if isinstance(value, list):
        return {str(item).lower() for item in value}
    return {item.lower() for item in str(value).split("|") if item}
