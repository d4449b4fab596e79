"""QR codes of sign-in links for printed invite slips: segno's plain SVG (paths only, no script)."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from markupsafe import Markup

from bot.settings import Settings
from knowledge.invites import IssuedCode


def sign_in_link(settings: Settings, item: IssuedCode) -> str | None:
    """Return the link a slip's QR code opens: the web sign-in with 工号 and code filled in, else Telegram's."""
    if settings.web_url:
        return f"{settings.web_url}/login?" + urlencode({"staff_no": item.member.staff_no, "code": item.code})
    if settings.bot_username:
        return f"https://t.me/{settings.bot_username}?start={item.code}"
    return None


def qr_svg(link: str) -> Markup:
    """Return a QR code of a link as an inline SVG element, sized by CSS (.slip-qr)."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=4, border=2,
                                     svgclass="slip-qr", lineclass=None, title=None)
    return Markup(buffer.getvalue().decode("utf-8"))
