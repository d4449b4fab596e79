"""Security round two (issue 17) on Telegram, each as reproduced: over HTTP against the fake Bot API."""

from __future__ import annotations

import asyncio
import time

from bot.reply import TELEGRAM_LIMIT, split_html
from knowledge import messages as M
from knowledge.limits import limit
from knowledge.text import units
from tests.fakebotapi import BOT_USERNAME
from tests.test_bot import bot, issue_code, register, services  # noqa: F401 - shared fixtures


async def test_a_code_typed_in_a_group_binds_nothing_and_stays_valid(bot, services):  # noqa: F811
    issue_code(services, "T001", "GROUPCODE2")
    teacher = bot.api.user(1001, "张老师")
    group = bot.api.group()
    replies = await bot.text(teacher, f"/start@{BOT_USERNAME} GROUPCODE2", chat=group)
    assert replies == [M.START_PRIVATE_ONLY]
    assert services.repository.member_by_account("telegram", "1001") is None  # the group is nobody's chat
    [private] = await bot.text(teacher, "/start GROUPCODE2")  # the code was not used up
    assert "注册成功" in private
    member = services.repository.member_by_account("telegram", "1001")
    assert services.repository.account(member.id, "telegram").address == "1001"


async def test_a_huge_stored_title_neither_freezes_others_nor_splits_slowly(bot, services):  # noqa: F811
    # A title stored before the cap (or by any path around it): /me still answers, split linearly,
    # and off the event loop, so another member's /help is not held up behind it.
    await register(bot, services, 1001, "T001")
    await register(bot, services, 5005, "A001")
    teacher, admin = bot.api.user(1001), bot.api.user(5005)
    member = services.repository.find_members("T001")[0]
    services.repository.add_session(services.clock.today().isoformat(), "长" * 400_000, "城关一小", "", "", [member.id], None)
    before = len(bot.api.calls)
    started = time.perf_counter()
    bot.api.send_text(teacher, "/me")
    await asyncio.sleep(0.05)
    bot.api.send_text(admin, "/help")
    for chat_id in (5005, 1001):
        await bot.api.wait_for_async(lambda c, chat_id=chat_id: c.ok and c.params.get("chat_id") == chat_id
                                     and c.method == "sendMessage", timeout=120, count=2)
    elapsed = time.perf_counter() - started
    replies = [c for c in bot.api.calls[before:] if c.ok and c.method == "sendMessage"]
    order = [c.params["chat_id"] for c in replies]
    assert order.index(5005) < order.index(1001), order
    assert elapsed < 30  # quadratic splitting took minutes for this much text


async def test_a_session_title_over_the_cap_is_refused_with_its_length(bot, services):  # noqa: F811
    admin = await register(bot, services, 5005, "A001")
    [reply] = await bot.text(admin, f"/session 2030-03-01 {'长' * 60_000} | 教师法 | 张老师")
    assert reply.startswith(M.FIELD_TOO_LONG.format(field=M.FIELD_TITLE, n=limit("title"), got=60_000))
    assert services.repository.sessions() == []
    [question] = await bot.text(admin, "问" * 3000)
    assert question == M.FIELD_TOO_LONG.format(field=M.FIELD_QUESTION, n=limit("question"), got=3000)


def test_splitting_is_linear_in_the_text():
    for size in (60_000, 240_000):
        started = time.perf_counter()
        pieces = split_html("<blockquote><b>" + "题\n" * size + "</b></blockquote>", TELEGRAM_LIMIT)
        assert time.perf_counter() - started < 5  # quadratic: 40 s for 40,000 characters
        assert all(units(piece) <= TELEGRAM_LIMIT and piece.startswith("<blockquote><b>") for piece in pieces)
        assert "".join(p.removeprefix("<blockquote><b>").removesuffix("</b></blockquote>") for p in pieces
                       ).replace("\n", "") == "题" * size
