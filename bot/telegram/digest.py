"""The weekly digest for bureau admins and leaders: last week's all-units report and its Excel file."""

from __future__ import annotations

import asyncio
import io

from bot.render import report_parts
from bot.reply import Html, Reply
from bot.services import Services
from bot.telegram.send import send_to_member
from knowledge import access
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.reports import build_report, parse_period
from knowledge.reports.xlsx import write_xlsx


def digest_reply(services: Services) -> Reply:
    """Build last week's all-units report as a message with its Excel file."""
    period = parse_period("上周", services.clock.today())
    # One digest goes to admins and leaders alike, and leaders do not see phone numbers.
    digest = Actor.operator(M.DIGEST_ACTOR)
    report = build_report(services.repository, digest, period, None, services.clock, phones=False)
    workbook = io.BytesIO()
    write_xlsx(report, workbook)
    reply = Reply(parts=[Html().bold(M.DIGEST_HEAD)] + report_parts(Html(), report, not_yet_limit=20))
    reply.document = (f"{report.file_name}.xlsx", workbook.getvalue())
    return reply


async def send_digest(bot, services: Services) -> int:
    """Send the digest to every reachable bureau admin and leader; return how many got it."""
    reply = await asyncio.to_thread(digest_reply, services)
    sent = 0
    for member in services.repository.members():
        if member.role not in ("bureau_admin", "leader") or not member.chat_id or not member.reachable:
            continue
        if (await send_to_member(bot, services, member, reply)).outcome == "sent":
            sent += 1
    await asyncio.to_thread(
        access.audit, services.repository, Actor.operator(M.DIGEST_ACTOR), "digest", M.DIGEST_AUDIT.format(n=sent)
    )
    return sent
