"""The DingTalk push channel: a channel-neutral Notice becomes a work notification (工作通知).

A notice with a link is an action_card (title, markdown text, one button into the web app at an
absolute URL made from XUEFA_WEB_URL); a notice without a link, or with a document (no media upload:
the web app serves files), is markdown with the link as its last line.

Per address the outcome is what the bot.channels port expects:
* sent: DingTalk delivered it (read or unread), or refused it as the same content to the same
  person today (143106): that person already has exactly this notice, so a resend after a crash
  is harmless and counted once;
* blocked: not a userid of this organisation (invalid_user_id_list);
* failed: anything transient — the send call failed, failed_user_id_list, the daily cap (ours or
  DingTalk's), or no result in time — so the ledger tries again later. Retrying is safe: a notice
  DingTalk did deliver comes back as a duplicate, hence "sent".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import quote

from bot.channels import Notice, Sent, absolute
from bot.dingtalk.client import BATCH_LIMIT, DingTalkClient, DingTalkError

log = logging.getLogger(__name__)
DEFAULT_BUTTON = "查看详情"
LOGIN_SUFFIX = "/oauth2/auth"  # XUEFA_DINGTALK_LOGIN_URL names the authorize page; the client adds the path
TITLE_CHARS = 64  # secondary: action_card/markdown titles are shown on one line; keep them short
_OUTCOMES = {
    "delivered": Sent("sent"),
    "duplicate": Sent("sent", "duplicate: DingTalk already delivered this content today"),
    "invalid": Sent("blocked", "invalid_user_id_list"),
    "capped": Sent("failed", "daily cap of work notifications for this person"),
    "failed": Sent("failed", "failed_user_id_list or no send result"),
}


def markdown_of(text: str) -> str:
    """Our plain text as DingTalk markdown: every line break kept (a markdown line break is two
    spaces before the newline), markdown's own marks at a line start left harmless."""
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped[:1] in ("#", ">", "-", "*", "+") or stripped[:2].rstrip(".").isdigit():
            line = "\u200b" + line  # a zero-width space keeps "1." or "#" from becoming a list or heading
        lines.append(line)
    return "  \n".join(lines)


def message_of(notice: Notice, web_url: str) -> dict:
    """The asyncsend_v2 msg for a notice."""
    title = notice.title[:TITLE_CHARS] or notice.kind
    if notice.link and notice.document is None:
        return {"msgtype": "action_card", "action_card": {
            "title": title,
            "markdown": f"### {title}\n\n{markdown_of(notice.text)}",
            "single_title": notice.button or DEFAULT_BUTTON,
            "single_url": absolute(web_url, notice.link),
        }}
    lines = [f"### {title}", "", markdown_of(notice.text)]
    if notice.link or notice.document is not None:
        link = absolute(web_url, notice.link or "/")
        label = notice.document[0] if notice.document is not None else (notice.button or DEFAULT_BUTTON)
        lines += ["", f"[{label}]({link})"]
    return {"msgtype": "markdown", "markdown": {"title": title, "text": "\n".join(lines)}}


class DingTalkChannel:
    """bot.channels.Channel for DingTalk work notifications; `web_url` is XUEFA_WEB_URL."""

    name = "dingtalk"
    batch_size = BATCH_LIMIT

    def __init__(self, client: DingTalkClient, web_url: str, via: str = ""):
        if not web_url.startswith(("http://", "https://")):
            raise ValueError("web_url must be the web app's absolute address (XUEFA_WEB_URL)")
        self.client = client
        self.web_url = web_url
        self.via = via  # e.g. "/login/dingtalk?next=": links go through the sign-in of DingTalk's browser

    async def send(self, addresses: Sequence[str], notice: Notice) -> dict[str, Sent]:
        addresses = list(dict.fromkeys(a for a in addresses if a))
        if self.via and notice.link and not notice.link.startswith(("http://", "https://")):
            notice = replace(notice, link=self.via + quote(notice.link, safe="/"))
        msg = message_of(notice, self.web_url)
        outcomes: dict[str, Sent] = {}
        for start in range(0, len(addresses), BATCH_LIMIT):
            batch = addresses[start:start + BATCH_LIMIT]
            try:
                result = await self.client.send_work_notice(batch, msg)
            except DingTalkError as exc:
                log.warning("DingTalk work notice %s to %d people failed: %s", notice.kind, len(batch), exc)
                outcomes.update({address: Sent("failed", str(exc)) for address in batch})
                continue
            for address in batch:
                outcomes[address] = _OUTCOMES.get(result.get(address, "failed"), _OUTCOMES["failed"])
        return outcomes

    async def close(self) -> None:
        await self.client.close()


def client_of(settings) -> DingTalkClient:
    """Return a DingTalk client for the internal app in the settings (XUEFA_DINGTALK_*); the caller closes it."""
    if not settings.dingtalk_enabled:
        raise ValueError("DingTalk is not configured (XUEFA_DINGTALK_APP_KEY, XUEFA_DINGTALK_APP_SECRET)")
    return DingTalkClient(
        settings.dingtalk_app_key, settings.dingtalk_app_secret.get_secret_value(), settings.dingtalk_agent_id or "",
        settings.dingtalk_oapi_url, settings.dingtalk_api_url,
        login_url=settings.dingtalk_login_url.removesuffix(LOGIN_SUFFIX),
    )


def routes(web):
    """Return the DingTalk web routes (sign-in in DingTalk's browser) for bot.web."""
    from bot.dingtalk.web import routes as dingtalk_routes

    return dingtalk_routes(web)


def shared_client(services):
    """The process's client of this app (one access token), shared with the web's sign-in and the chat."""
    return services.platform_client("dingtalk", lambda: client_of(services.settings))


async def open_channel(services, bot=None) -> DingTalkChannel:
    """Return the DingTalk push channel over the process's client (`bot` is Telegram's and is ignored here).

    Links are made absolute with XUEFA_WEB_URL and go through /login/dingtalk, so a teacher who taps
    a card in DingTalk is signed in to the web quiz by DingTalk's browser.
    """
    settings = services.settings
    if not settings.web_url:
        from bot.settings import SettingsError
        from knowledge import messages as M

        raise SettingsError(M.CHANNEL_NEEDS_WEB_URL.format(channel=M.CHANNEL_LABELS["dingtalk"]))
    return DingTalkChannel(shared_client(services), settings.web_url, via="/login/dingtalk?next=")


async def lookup_by_mobile(settings, phones: Sequence[str]) -> dict[str, str]:
    """Return the DingTalk userid of each mobile number the organisation has (topapi/v2/user/getbymobile)."""
    found: dict[str, str] = {}
    client = client_of(settings)
    try:
        for phone in dict.fromkeys(phones):
            userid = await client.userid_by_mobile(phone)
            if userid:
                found[phone] = userid
    finally:
        await client.close()
    return found
