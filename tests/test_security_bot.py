"""Security round two (issue 17) on Telegram, each as reproduced: over HTTP against the fake Bot API."""

from __future__ import annotations

from knowledge import messages as M
from tests.fakebotapi import BOT_USERNAME
from tests.test_bot import bot, issue_code, services  # noqa: F401 - shared fixtures


async def test_a_code_typed_in_a_group_binds_nothing_and_stays_valid(bot, services):  # noqa: F811
    issue_code(services, "T001", "GROUPCODE2")
    teacher = bot.api.user(1001, "张老师")
    group = bot.api.group()
    replies = await bot.text(teacher, f"/start@{BOT_USERNAME} GROUPCODE2", chat=group)
    assert replies == [M.START_PRIVATE_ONLY]
    assert services.repository.member_by_telegram(1001) is None  # the group is nobody's chat
    [private] = await bot.text(teacher, "/start GROUPCODE2")  # the code was not used up
    assert "注册成功" in private
    assert services.repository.member_by_telegram(1001).chat_id == 1001
