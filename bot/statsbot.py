"""The weekly digest for bureau admins and leaders."""

from __future__ import annotations

import io
import logging
from datetime import date

from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.render import Html, Reply, report_parts
from bot.services import Services
from bot.tg import send_reply, services_of
from knowledge import messages as M
from knowledge.reports import build_report, parse_period

log = logging.getLogger(__name__)


def digest_reply(services: Services) -> Reply:
    """Build last week's all-units report as a message with its Excel file."""
    from bot.exports import write_xlsx

    period = parse_period("上周", date.fromisoformat(services.today()))
    # One digest goes to admins and leaders alike, and leaders do not see phone numbers.
    report = build_report(services.repository, None, period, None, services.settings.tz, phones=False)
    workbook = io.BytesIO()
    write_xlsx(report, workbook)
    reply = Reply(parts=[Html().bold(M.DIGEST_HEAD)] + report_parts(Html(), report, not_yet_limit=20))
    reply.document = (M.STATS_FILE_NAME.format(period=period.label, unit=M.REPORT_ALL_UNITS) + ".xlsx", workbook.getvalue())
    return reply


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the weekly digest to every reachable bureau admin and leader."""
    services = services_of(context)
    await send_digest(context.bot, services)


async def send_digest(bot, services: Services) -> int:
    """Send the digest; return how many people got it."""
    reply = digest_reply(services)
    sent = 0
    for member in services.repository.members():
        if member.role not in ("bureau_admin", "leader") or not member.chat_id or not member.reachable:
            continue
        try:
            await send_reply(bot, member.chat_id, reply)
            sent += 1
        except Forbidden:
            services.repository.set_reachable(member.id, False)
        except TelegramError as exc:
            log.warning("digest to %s failed: %s", member.staff_no, exc)
    return sent
