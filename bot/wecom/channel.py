"""The WeCom push channel: a channel-neutral Notice becomes an application message.

A notice with a link is a text card (title, text as the description, a button into the web app);
a notice with a document goes as text with the link (no file upload: the web app serves files).
Per address the outcome is what the bot.channels port expects: sent; blocked for an invaliduser
or unlicenseduser (not a member any more, outside the app's visible range, no licence); failed
for anything transient (network, HTTP 5xx, errcode, pacing that would wait too long), so the
ledger tries again later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import quote

from bot.channels import Notice, Sent, absolute
from bot.wecom.client import SendResult, WeComClient, WeComError
from bot.wecom.limits import DUPLICATE_CHECK_DEFAULT, MESSAGE_BATCH, TEXTCARD_DESCRIPTION_BYTES, trim_bytes

log = logging.getLogger(__name__)
DEFAULT_BUTTON = "详情"
_OUTCOMES = {
    "sent": Sent("sent"),
    "invalid": Sent("blocked", "invaliduser"),
    "unlicensed": Sent("blocked", "unlicenseduser"),
    "deferred": Sent("failed", "paced: the member's message limit is reached"),
}


def card_description(text: str) -> str:
    """The textcard description: WeCom reads it as a little HTML (<div class="gray">…), so angle
    brackets in our plain text become full-width ones; then cut to 512 bytes on a character."""
    return trim_bytes(text.replace("<", "＜").replace(">", "＞"), TEXTCARD_DESCRIPTION_BYTES)


class WeComChannel:
    """bot.channels.Channel for WeCom. `web_url` is XUEFA_WEB_URL (links are made absolute)."""

    name = "wecom"
    batch_size = MESSAGE_BATCH

    def __init__(self, client: WeComClient, web_url: str, *, duplicate_check_interval: int = DUPLICATE_CHECK_DEFAULT,
                 via: str = ""):
        if not web_url.startswith(("http://", "https://")):
            raise ValueError("web_url must be the web app's absolute address (XUEFA_WEB_URL)")
        self.client = client
        self.web_url = web_url
        self.duplicate_check_interval = duplicate_check_interval
        self.via = via  # e.g. "/login/wecom?next=": links go through the sign-in of WeCom's browser

    async def send(self, addresses: Sequence[str], notice: Notice) -> dict[str, Sent]:
        addresses = list(dict.fromkeys(addresses))
        if not addresses:
            return {}
        path = notice.link or "/"
        if self.via and not path.startswith(("http://", "https://")):
            path = self.via + quote(path, safe="/")
        link = absolute(self.web_url, path)
        try:
            if notice.document is not None or not notice.link:
                result = await self.client.send_text(
                    addresses, _text_of(notice, link), duplicate_check_interval=self.duplicate_check_interval
                )
            else:
                result = await self.client.send_textcard(
                    addresses,
                    notice.title,
                    card_description(notice.text),
                    link,
                    notice.button or DEFAULT_BUTTON,
                    duplicate_check_interval=self.duplicate_check_interval,
                )
        except WeComError as exc:
            log.warning("WeCom send of %s to %d members failed: %s", notice.kind, len(addresses), exc)
            return {address: Sent("failed", str(exc)) for address in addresses}
        return _outcomes(result, addresses)

    async def close(self) -> None:
        await self.client.close()


def _text_of(notice: Notice, link: str) -> str:
    lines = [notice.title, notice.text]
    if notice.document is not None:
        lines.append(f"{notice.document[0]}：{link}")
    elif notice.link:
        lines.append(link)
    return "\n".join(line for line in lines if line)


def _outcomes(result: SendResult, addresses: list[str]) -> dict[str, Sent]:
    failed = Sent("failed", result.error or "no outcome")
    return {address: _OUTCOMES.get(result.outcomes.get(address, ""), failed) for address in addresses}


def client_of(settings) -> WeComClient:
    """Return a WeCom client for the app in the settings (XUEFA_WECOM_*); the caller closes it."""
    if not settings.wecom_enabled:
        raise ValueError("WeCom is not configured (XUEFA_WECOM_CORP_ID, XUEFA_WECOM_AGENT_ID, XUEFA_WECOM_SECRET)")
    return WeComClient(settings.wecom_corp_id, settings.wecom_agent_id, settings.wecom_secret.get_secret_value(),
                       base_url=settings.wecom_base_url)


def routes(web):
    """Return the WeCom web routes (sign-in in WeCom's browser, the callback URL) for bot.web."""
    from bot.wecom.web import routes as wecom_routes

    return wecom_routes(web)


def shared_client(services):
    """The process's client of this app (one access token), shared with the web's sign-in and the chat."""
    return services.platform_client("wecom", lambda: client_of(services.settings))


async def open_channel(services, bot=None) -> WeComChannel:
    """Return the WeCom push channel over the process's client (`bot` is Telegram's and is ignored here).

    Links in cards are made absolute with XUEFA_WEB_URL: a teacher taps into the web quiz, and
    WeCom's browser signs them in at /login/wecom.
    """
    settings = services.settings
    if not settings.web_url:
        from bot.settings import SettingsError
        from knowledge import messages as M

        raise SettingsError(M.CHANNEL_NEEDS_WEB_URL.format(channel=M.CHANNEL_LABELS["wecom"]))
    return WeComChannel(shared_client(services), settings.web_url, via="/login/wecom?next=")


async def lookup_by_mobile(settings, phones: Sequence[str]) -> dict[str, str]:
    """Return the WeCom userid of each mobile number WeCom knows (user/getuserid), phone → userid.

    One call per number, each number once: WeCom blocks the API for a day after too many wrong
    numbers (beyond 20 % of the corp's member cap), so only numbers from the roster are asked.
    A number WeCom does not know is left out of the answer.
    """
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
