"""The real Telegram Application end to end, over HTTP against the fake Bot API on loopback."""

from __future__ import annotations

import pytest

from bot.services import Services
from bot.telegram.app import build_app
from tests.botharness import BotHarness, bot_services

ROSTER = "姓名,工号,单位,角色,手机\n张老师,T001,城关一小,教师,13800000001\n李校长,A001,城关一小,单位管理员,\n王局,B001,县教育局,局管理员,\n赵书记,L001,县教育局,领导,\n"


@pytest.fixture
def services(tmp_path, shared, api):
    service = bot_services(tmp_path, shared, api, ROSTER)
    yield service
    service.close()


def issue_code(services: Services, staff_no: str, code: str) -> None:
    member = services.repository.find_members(staff_no)[0]
    services.repository.replace_invite_codes([(member.id, services.keyring.code(code), "2999-01-01T00:00:00+00:00")])


@pytest.fixture
async def bot(api, services):
    async with BotHarness(api, build_app(services.settings, services)) as harness:
        yield harness


async def register(bot: BotHarness, services: Services, user_id: int, staff_no: str):
    user = bot.api.user(user_id)
    issue_code(services, staff_no, f"CODE{staff_no}XY")
    await bot.text(user, f"/start CODE{staff_no}XY")
    return user


async def test_registration_with_a_code_then_reuse_and_wrong_codes(bot, services):
    issue_code(services, "T001", "ABCD234XYZ")
    teacher = bot.api.user(1001, "张老师")
    [reply] = await bot.text(teacher, "/start abcd 234 xyz")
    assert "注册成功！张老师（城关一小，教师）" in reply
    assert services.repository.member_by_account("telegram", str(1001)).staff_no == "T001"
    stranger = bot.api.user(2002, "路人")
    [reused] = await bot.text(stranger, "/start ABCD234XYZ")
    assert "该邀请码已被使用" in reused
    [wrong] = await bot.text(stranger, "/start WRONG00000")
    assert "邀请码不正确" in wrong
    assert services.repository.member_by_account("telegram", str(2002)) is None


async def test_failed_codes_are_rate_limited(bot, services):
    issue_code(services, "T001", "GOODCODE22")
    guesser = bot.api.user(3003)
    for n in range(5):
        [reply] = await bot.text(guesser, f"/start GUESS{n:05d}")
        assert "邀请码不正确" in reply
    [blocked] = await bot.text(guesser, "/start GOODCODE22")
    assert "错误次数过多" in blocked
    assert services.repository.member_by_account("telegram", str(3003)) is None


async def test_unknown_users_only_learn_how_to_register(bot):
    stranger = bot.api.user(4004)
    for text in ["教师法第八条", "/list", "/me", "学校可以体罚学生吗"]:
        [reply] = await bot.text(stranger, text)
        assert "请用单位管理员发放的邀请码注册" in reply
        assert "教师应当履行" not in reply


async def test_article_lookup_by_command_and_by_text(bot, services):
    teacher = await register(bot, services, 1001, "T001")
    [reply] = await bot.text(teacher, "/article 教师法第八条")
    assert reply.startswith("<b>《教师法》第八条</b> （第二章 权利和义务）")
    assert "<blockquote>教师应当履行下列义务" in reply
    [missing] = await bot.text(teacher, "教师法第99条")
    assert missing == "《教师法》共四十三条，没有第九十九条"
    [usage] = await bot.text(teacher, "/article")
    assert usage.startswith("用法：/article")
    assert services.journal.flush(10)  # the log is written behind the replies
    logged = services.repository.question_log(services.repository.member_by_account("telegram", str(1001)).id)
    assert [entry.outcome for entry in logged] == ["refused", "article"]
    assert logged[1].cited == ["《中华人民共和国教师法》第八条"]


async def test_list_and_buttons_down_to_an_article(bot, services):
    teacher = await register(bot, services, 1001, "T001")
    [listing] = await bot.text(teacher, "/list")
    assert "测试季度学法清单" in listing and "重点：第二章 权利和义务" in listing
    message = bot.last_message_to(1001)
    keyboard = message.params["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0]["text"] == "1. 教师法"
    [edited] = await bot.press(teacher, message, keyboard[0][0]["callback_data"])
    assert edited.method == "editMessageText"
    chapters = edited.params["reply_markup"]["inline_keyboard"]
    focus = [row[0] for row in chapters if row[0]["text"].startswith("★")]
    assert focus and focus[0]["text"] == "★ 第二章 权利和义务"
    [articles] = await bot.press(teacher, message, focus[0]["callback_data"])
    labels = [b["text"] for row in articles.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[:3] == ["第七条", "第八条", "第九条"]
    first = articles.params["reply_markup"]["inline_keyboard"][0][1]
    [full] = await bot.press(teacher, message, first["callback_data"])
    assert full.method == "sendMessage" and "教师应当履行下列义务" in full.params["text"]
    assert bot.api.calls_to("answerCallbackQuery")


async def test_teachers_cannot_upload_rosters_and_admins_can(bot, services):
    teacher = await register(bot, services, 1001, "T001")
    roster = "姓名,工号,单位,角色\n钱老师,T002,城关一小,教师\n".encode()
    [refused] = await bot.upload(teacher, "roster.csv", roster)
    assert refused == "只有管理员可以上传名册或题库文件。"
    assert services.repository.find_members("T002") == []
    admin = await register(bot, services, 5005, "A001")
    [report] = await bot.upload(admin, "roster.csv", roster)
    assert "新增 1 人" in report
    assert services.repository.find_members("T002")[0].unit == "城关一小"


async def test_a_unit_admin_cannot_import_another_unit_and_nothing_lands(bot, services):
    admin = await register(bot, services, 5005, "A001")
    roster = "姓名,工号,单位,角色\n孙老师,T003,城关一小,教师\n周老师,T004,县第二中学,教师\n".encode("gbk")
    [report] = await bot.upload(admin, "roster.csv", roster)
    assert "第3行：单位“县第二中学”不是您所管理的单位（城关一小）" in report
    assert services.repository.find_members("T003") == []
    [skipped] = await bot.upload(admin, "roster.csv", roster, caption="跳过错误行")
    assert "新增 1 人" in skipped and "已跳过 1 行" in skipped


async def test_group_chats_answer_only_when_mentioned(bot, services):
    teacher = await register(bot, services, 1001, "T001")
    group = bot.api.group()
    assert await bot.text(teacher, "教师法第八条", chat=group) == []
    [reply] = await bot.text(teacher, "@xuefa_test_bot 教师法第八条", chat=group)
    assert "教师应当履行下列义务" in reply


async def test_command_menu_is_registered(bot):
    [call] = [c for c in bot.api.calls_to("setMyCommands") if c.params.get("scope", {}).get("type") == "default"]
    names = [command["command"] for command in call.params["commands"]]
    assert {"start", "help", "list", "article", "search", "me", "quiz"} <= set(names)
    assert not {"stats", "records", "session"} & set(names)  # a teacher's menu shows no admin commands


async def test_errors_become_a_polite_message(bot, services):
    teacher = await register(bot, services, 1001, "T001")
    services.repository.db.execute(  # break the store under the handler
        "ALTER TABLE articles RENAME TO disk_on_fire"
    )
    [reply] = await bot.text(teacher, "/article 教师法第八条")
    assert reply == "系统繁忙，请稍后再试。"
    assert "Traceback" not in reply and "disk_on_fire" not in reply and "articles" not in reply


async def test_a_bootstrap_admin_uploads_the_first_roster(bot, services):
    services.settings.admins = [9009]
    founder = bot.api.user(9009, "信息中心")
    roster = "姓名,工号,单位,角色\n吴老师,T010,实验幼儿园,教师\n".encode()
    [asked] = await bot.upload(founder, "名册.csv", roster)
    assert "新单位“实验幼儿园”" in asked and "文件说明中写“新单位”" in asked  # the roster names a unit not held yet
    [report] = await bot.upload(founder, "名册.csv", roster, caption="新单位")
    assert "新增 1 人" in report
    [quiz] = await bot.text(founder, "/quiz")
    assert "测验记录需要对应名册中的人员" in quiz
    [stranger] = await bot.upload(bot.api.user(9010), "名册.csv", roster)
    assert "请用单位管理员发放的邀请码注册" in stranger



async def test_network_errors_are_retried_and_a_blocked_user_is_marked_unreachable(bot, services):
    teacher = await register(bot, services, 1001, "T001")
    bot.api.fail_next("sendMessage", status=500, n=1)
    bot.api.fail_next("sendMessage", status="disconnect", n=1)
    [reply] = await bot.text(teacher, "教师法第六条")
    assert "每年九月十日为教师节" in reply
    bot.api.block_user(1001)
    assert await bot.text(teacher, "教师法第六条") == []
    assert not services.repository.member_by_account("telegram", str(1001)).reachable


async def test_a_unit_admin_cannot_take_over_people_of_other_units(bot, services):
    admin = await register(bot, services, 5005, "A001")
    roster = "姓名,工号,单位,角色\n王局,B001,城关一小,教师\n".encode()
    [report] = await bot.upload(admin, "roster.csv", roster)
    assert "第2行：工号“B001”不能由本单位（城关一小）导入" in report
    assert "王局" not in report and "县教育局" not in report  # who and where stay unsaid
    boss = services.repository.find_members("B001")[0]
    assert (boss.unit, boss.role) == ("县教育局", "bureau_admin")


async def test_stale_or_forged_buttons_get_a_polite_answer(bot, services):
    teacher = await register(bot, services, 1001, "T001")
    await bot.text(teacher, "/list")
    message = bot.last_message_to(1001)
    for data in ("nav:9999:", "law:NOPE:0", "art:abc", "rel:99999", "nav:T-Q1:0:99"):
        calls = await bot.press(teacher, message, data)
        assert calls and "该按钮已失效" in calls[-1].params["text"]
    assert await bot.press(teacher, message, "qa:1:2:3") == []  # a quiz button answers with a toast
    assert "该按钮已失效" in bot.api.calls_to("answerCallbackQuery")[-1].params["text"]


async def test_files_sent_to_a_group_are_refused_and_never_imported(bot, services):
    admin = await register(bot, services, 5005, "A001")
    group = bot.api.group()
    roster = "姓名,工号,单位,角色,手机\n钱老师,T002,城关一小,教师,13900000002\n".encode()
    calls = await bot.replies_to(lambda: bot.api.send_document(admin, "roster.csv", roster, chat=group), group.id)
    [refusal] = [call.params["text"] for call in calls]
    assert refusal == "名册和题库含有个人信息，请在与我的私聊中发送文件，不要发到群里。"
    assert services.repository.find_members("T002") == []  # and no row report with names reached the group


async def test_an_edited_message_does_not_run_a_command_again(bot, services):
    teacher = await register(bot, services, 1001, "T001")
    message = bot.api.send_text(teacher, "/article 教师法第八条")
    await bot.handled_update(bot.api.last_update_id)
    before = len(bot.api.calls_to("sendMessage"))
    edited = {**message, "text": "/article 教师法第九条", "edit_date": message["date"] + 5}
    bot.api.push_update({"edited_message": edited})
    await bot.handled_update(bot.api.last_update_id)
    assert len(bot.api.calls_to("sendMessage")) == before
    assert services.journal.flush(10)
    assert [entry.question for entry in services.repository.question_log()] == ["教师法第八条"]


async def test_the_error_log_names_the_update_but_not_what_was_said(bot, services, caplog):
    teacher = await register(bot, services, 1001, "T001")
    services.repository.db.execute(
        "ALTER TABLE articles RENAME TO disk_on_fire"
    )
    with caplog.at_level("ERROR"):
        [reply] = await bot.text(teacher, "/article 教师法第八条")
    assert reply == "系统繁忙，请稍后再试。"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "error while handling update" in logged
    assert "张老师" not in logged and "教师法第八条" not in logged and "1001" not in logged


async def test_a_long_flood_wait_is_scheduled_not_slept_through_in_the_handler(bot, services):
    teacher = await register(bot, services, 1001, "T001")
    other = await register(bot, services, 1002, "A001")
    bot.api.fail_next("sendMessage", status=429, retry_after=4)
    sent_before = len(bot.api.calls_to("sendMessage"))
    bot.api.send_text(teacher, "教师法第六条")
    await bot.handled_update(bot.api.last_update_id)
    # The handler is done although Telegram asked for 4 s: it holds no slot and no one's turn.
    assert len(bot.api.calls_to("sendMessage")) == sent_before
    [help_text] = await bot.text(other, "/help")
    assert "学法助手使用说明" in help_text
    # Sent when the wait was over, by a job.
    await bot.api.wait_for_async(
        lambda c: c.ok and c.method == "sendMessage" and "每年九月十日为教师节" in c.params.get("text", ""), timeout=20
    )
