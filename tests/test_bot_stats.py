"""Reports and records through the real bot: who may see what, and the files that come with /stats."""

from __future__ import annotations

import io

import openpyxl

from tests.test_bot import bot, register, services  # noqa: F401 - shared fixtures


async def test_teachers_only_see_their_own_record(bot, services):  # noqa: F811
    teacher = await register(bot, services, 1001, "T001")
    [refused] = await bot.text(teacher, "/stats")
    assert "统计报表仅限管理员和领导查看" in refused
    [other] = await bot.text(teacher, "/records A001")
    assert other == "您只能查看自己的学习记录"
    parts = await bot.text(teacher, "/me")
    assert "张老师（T001，城关一小，教师）" in parts[0] and "手机 13800000001" in parts[0]
    assert not bot.api.calls_to("sendDocument")


async def test_a_unit_admin_gets_their_unit_with_excel_and_chart(bot, services):  # noqa: F811
    admin = await register(bot, services, 5005, "A001")
    texts = await bot.text(admin, "/stats 本周")
    assert "【学法统计】" in texts[0] and "城关一小" in texts[0]
    [document] = bot.api.calls_to("sendDocument")
    name, data = document.files["document"]
    assert name.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert "城关一小" in workbook.sheetnames and "县教育局" not in workbook.sheetnames
    [photo] = bot.api.calls_to("sendPhoto")
    assert photo.files["photo"][1].startswith(b"\x89PNG")
    [refused] = await bot.text(admin, "/stats 本周 县教育局")
    assert refused.startswith("单位管理员只能查看本单位（城关一小）的统计")
    [bad] = await bot.text(admin, "/stats 明年")
    assert "无法识别的统计期间" in bad


async def test_leaders_read_anyone_without_phones_and_it_is_audited(bot, services):  # noqa: F811
    leader = await register(bot, services, 7007, "L001")
    parts = await bot.text(leader, "/records T001")
    assert "张老师（T001，城关一小，教师）" in parts[0] and "13800000001" not in "".join(parts)
    [missing] = await bot.text(leader, "/records 无此人")
    assert missing == "没有找到人员“无此人”"
    assert [entry.action for entry in services.repository.audit_log()] == ["record"]


async def test_admins_log_group_study_sessions(bot, services):  # noqa: F811
    teacher = await register(bot, services, 1001, "T001")
    [refused] = await bot.text(teacher, "/session 2026-11-20 会前学法 | 教师法 | T001")
    assert refused == "此功能仅限管理员使用。"
    admin = await register(bot, services, 5005, "A001")
    [saved] = await bot.text(admin, "/session 2026-11-20 教职工会前学法 | 教师法第八条 | T001，李校长")
    assert saved == "已登记集体学法：2026-11-20 教职工会前学法，参加 2 人。"
    [other_unit] = await bot.text(admin, "/session 2026-11-21 学法 | 教师法 | B001")
    assert other_unit.startswith("本单位（城关一小）没有找到人员“B001”") and "王局" not in other_unit
    [usage] = await bot.text(admin, "/session 昨天 学法")
    assert usage.count("用法：/session") == 1  # said once, not twice
    record = await bot.text(teacher, "/me")
    assert "2026-11-20 教职工会前学法" in "".join(record)


async def test_the_weekly_digest_reaches_bureau_admins_and_leaders(bot, services):  # noqa: F811
    from bot.outreach import Outreach
    from bot.scheduler import send_digest
    from bot.telegram.channel import TelegramChannel

    await register(bot, services, 1001, "T001")
    await register(bot, services, 3003, "B001")
    await register(bot, services, 7007, "L001")
    outreach = Outreach(services, {"telegram": TelegramChannel(bot.application.bot)})
    sent = await send_digest(services, outreach)
    assert await send_digest(services, outreach) == 0  # once a week, however often the job runs
    assert sent == 2
    documents = bot.api.calls_to("sendDocument")
    assert sorted(call.params["chat_id"] for call in documents) == [3003, 7007]
    digests = [c for c in bot.api.calls_to("sendMessage") if "每周学法简报" in c.params["text"]]
    assert sorted(call.params["chat_id"] for call in digests) == [3003, 7007]


async def test_records_and_reports_stay_out_of_group_chats(bot, services):  # noqa: F811
    admin = await register(bot, services, 5005, "A001")
    group = bot.api.group()
    for command in ("/stats@xuefa_test_bot", "/me@xuefa_test_bot", "/records@xuefa_test_bot T001"):
        [reply] = await bot.text(admin, command, chat=group)
        assert reply == "学习记录和统计涉及个人信息，请私聊机器人使用此功能。"
    assert not bot.api.calls_to("sendDocument")


async def test_records_come_with_the_workbook_for_the_annual_assessment(bot, services):  # noqa: F811
    leader = await register(bot, services, 7007, "L001")
    await bot.text(leader, "/records T001 2026")
    [document] = bot.api.calls_to("sendDocument")
    name, data = document.files["document"]
    assert name == "学法记录-T001-2026.xlsx" and document.params["chat_id"] == 7007
    summary = openpyxl.load_workbook(io.BytesIO(data))["汇总"]
    assert [summary.cell(3, c).value for c in (1, 2, 3)] == ["张老师", "T001", "城关一小"]
    admin = await register(bot, services, 5005, "A001")
    [title] = await bot.text(admin, "/records 城关一小 2026")
    assert title == "城关一小 2026年度 学法记录（2 人）"
    unit_file = bot.api.calls_to("sendDocument")[-1]
    people = openpyxl.load_workbook(io.BytesIO(unit_file.files["document"][1]))["汇总"]
    assert [people.cell(row, 2).value for row in (3, 4)] == ["A001", "T001"]
    [refused] = await bot.text(admin, "/records 县教育局")
    assert refused == "单位管理员只能查看本单位（城关一小）的统计"
