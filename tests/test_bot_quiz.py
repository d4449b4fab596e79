"""Weekly quizzes end to end: the real Application over HTTP against the fake Bot API on loopback.

Rounds take "now" from the services' one clock; the tests pin it to Wednesday noon (Shanghai) of the
current ISO week, so they pass on any day, Sunday night after the deadline included.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.outreach import Outreach
from bot.scheduler import Scheduler, push_round, should_resume_push
from bot.scheduler import send_reminders as scheduled_reminders
from bot.services import Services
from bot.telegram.app import build_app
from bot.telegram.channel import PUSH_CONCURRENCY, TelegramChannel
from knowledge import outreach
from knowledge import messages as M
from knowledge.members import parse_roster
from knowledge.quizbank import import_bank
from knowledge.rounds import Schedule, answer_question, finish, iso_week, save_schedule, start_or_resume
from tests.botharness import BotHarness, bind, bot_services
from tests.fakebotapi import Call, FakeBotAPI

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROSTER = (
    "姓名,工号,单位,角色\n"
    "张老师,T001,城关一小,教师\n钱老师,T002,城关一小,教师\n孙老师,T003,城关一小,教师\n李校长,A001,城关一小,单位管理员\n"
    "周老师,T101,城关二小,教师\n吴老师,T102,城关二小,教师\n郑校长,A101,城关二小,单位管理员\n"
    "王局,B001,县教育局,局管理员\n"
)
UNBOUND = "T003"
# Telegram user id = private chat id, per staff number.
IDS = {"T001": 1001, "T002": 1002, "A001": 1009, "T101": 2001, "T102": 2002, "A101": 2009, "B001": 3001}
# Two bank questions: a round of five takes both, so it always holds one multiple-choice question.
BANK = (
    "题型,题干,选项A,选项B,选项C,选项D,答案,解析,出处\n"
    "多选,教师应当履行的义务有（　　）。,遵守宪法、法律和职业道德,为人师表,体罚学生,按时获取工资报酬,AB,"
    "教师法第八条规定了教师的义务。,《中华人民共和国教师法》第八条\n"
    "单选,教师节是每年的哪一天？,九月一日,九月十日,十月一日,五月四日,B,教师法第六条。,教师法第六条\n"
)


def this_wednesday_noon() -> datetime:
    today = datetime.now(SHANGHAI).date()
    monday = today - timedelta(days=today.isoweekday() - 1)
    return datetime.combine(monday + timedelta(days=2), time(12), SHANGHAI)


@pytest.fixture
def services(tmp_path, shared, api):
    service = bot_services(tmp_path, shared, api, ROSTER)
    repository = service.repository
    for staff_no, user_id in IDS.items():
        bind(repository, staff_no, user_id)
    # No weekly jobs while a test drives pushes itself (test_jobs_follow_the_stored_schedule turns them on).
    save_schedule(repository, Schedule(enabled=False))
    (tmp_path / "bank.csv").write_text(BANK, encoding="utf-8")
    assert "新增 2 道" in import_bank(repository, service.catalog, tmp_path / "bank.csv")
    service.clock.pin(this_wednesday_noon())
    service.quizflow.rng = random.Random(1)  # seeded draws: the same questions every run
    yield service
    repository.close()


@pytest.fixture
async def bot(api, services):
    application = build_app(services.settings, services)
    async with BotHarness(api, application) as harness:
        yield harness


def Pusher(telegram_bot, services: Services, **options) -> Outreach:
    """The outbox's dispatcher over Telegram alone, as the running service builds it."""
    return Outreach(services, {"telegram": TelegramChannel(telegram_bot)}, ["telegram"], **options)


async def run_push(services: Services, pusher: Outreach):
    result = await push_round(services, pusher)
    return result.report if result else None


async def resume_push(services: Services, pusher: Outreach):
    """What the scheduler does at start-up: finish an interrupted push, or make up a missed one."""
    if should_resume_push(services, services.clock.now()):
        return await run_push(services, pusher)
    return None


async def send_reminders(telegram_bot, services: Services) -> int:
    return await scheduled_reminders(services, Pusher(telegram_bot, services))


def round_counts(services: Services, round_) -> dict[str, int]:
    return services.repository.delivery_counts(outreach.ROUND, str(round_.id))


def push_of(pusher: Outreach, services: Services, round_):
    return pusher.deliver(outreach.round_batch(services.repository, services.clock, round_))


def flow(bot: BotHarness):
    return bot.application.bot_data["services"].quizflow


def member(services: Services, staff_no: str):
    return services.repository.find_members(staff_no)[0]


async def act(bot: BotHarness, inject) -> list[Call]:
    """Inject an update, wait until the bot handled it, return the successful calls it made meanwhile."""
    before = len(bot.api.calls)
    inject()
    await bot.handled_update(bot.api.last_update_id)
    return [call for call in bot.api.calls[before:] if call.ok and call.method != "getUpdates"]


def invitations(api: FakeBotAPI, chat_id: int | None = None) -> list[Call]:
    return [
        call for call in api.calls_to("sendMessage")
        if call.params["text"].endswith("或发送 /quiz。") and (chat_id is None or call.params["chat_id"] == chat_id)
    ]


def texts(calls: list[Call], chat_id: int) -> list[str]:
    return [c.result["text"] for c in calls if c.method == "sendMessage" and c.params["chat_id"] == chat_id]


def question_call(calls: list[Call], chat_id: int) -> Call | None:
    """Return the question the bot just asked: a quiz poll, or a message with answer buttons."""
    for call in reversed(calls):
        if call.params.get("chat_id") != chat_id:
            continue
        if call.method == "sendPoll":
            return call
        markup = call.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        if call.method == "sendMessage" and rows and rows[0][0]["callback_data"].startswith(("qt:", "qa:")):
            return call
    return None


async def answer(bot: BotHarness, services: Services, user, calls: list[Call], good: bool) -> list[Call]:
    """Answer the question just asked, right or wrong, by poll answer or by buttons."""
    asked = question_call(calls, user.id)
    assert asked is not None, [c.method for c in calls]
    round_ = flow(bot).existing_round()
    attempt = services.repository.open_attempt(round_.id, services.repository.member_by_account("telegram", str(user.id)).id)
    question = services.repository.attempt_question(attempt.id, attempt.next_position)
    wrong = [next(i for i in range(len(question.options)) if i not in question.answer)]
    chosen = question.answer if good else wrong
    if asked.method == "sendPoll":
        assert asked.params["type"] == "quiz" and asked.params["is_anonymous"] is False
        assert asked.params["correct_option_ids"] == question.answer
        return await act(bot, lambda: bot.api.answer_poll(user, asked.result["poll"]["id"], chosen))
    assert question.kind == "multiple"
    toggles, [submit] = asked.params["reply_markup"]["inline_keyboard"]
    for option in chosen:
        [edit] = (await act(bot, lambda: bot.api.press_button(user, asked, toggles[option]["callback_data"])))[-1:]
        assert edit.method == "editMessageReplyMarkup"
        labels = [b["text"] for b in edit.params["reply_markup"]["inline_keyboard"][0]]
        assert labels[option].startswith("☑")
    return await act(bot, lambda: bot.api.press_button(user, asked, submit["callback_data"]))


async def take_quiz(bot: BotHarness, services: Services, user, plan: list[bool], start) -> tuple[list[str], Call]:
    """Start (or resume) with start(), answer per plan; return every text the member got and the result."""
    calls = await act(bot, start)
    got = texts(calls, user.id)
    for good in plan:
        calls = await answer(bot, services, user, calls, good)
        got += texts(calls, user.id)
    [result] = [c for c in calls if c.method == "sendMessage" and "测验完成" in c.params["text"]]
    return got, result


def start_by_command(bot: BotHarness, user):
    return lambda: bot.api.send_text(user, "/quiz")


# --- the push -----------------------------------------------------------------------------


async def test_a_push_reaches_every_bound_member_once_with_a_start_button(bot, services):
    report = await run_push(services, Pusher(bot.application.bot, services))
    round_ = flow(bot).existing_round()
    assert round_.week == iso_week(this_wednesday_noon().date())
    assert round_.questions == 5 and len(round_.question_ids) == 20  # each attempt draws 5 from a pool of 20
    assert report.sent == len(IDS) and [u.member.staff_no for u in report.unbound] == [UNBOUND]
    for staff_no, chat_id in IDS.items():
        [invitation] = invitations(bot.api, chat_id)
        assert invitation.params["text"].startswith(f"{member(services, staff_no).name}您好，本周学法测验已开始，共 5 题")
        [[button]] = invitation.params["reply_markup"]["inline_keyboard"]
        assert (button["text"], button["callback_data"]) == ("开始答题", "quiz:")
    assert round_counts(services, round_) == {"sent": len(IDS), "unreachable": 1}
    assert services.repository.delivery("round", str(round_.id), member(services, UNBOUND).id).error == "no-account"
    # The unit admin hears who could not be reached.
    [told] = [t for t in bot.api.sent_messages(IDS["A001"]) if "收不到推送" in t]
    assert told.startswith("【城关一小】本周测验有 1 人收不到推送") and "孙老师" in told
    # Pushing again (a second run, a restart) sends nothing new and tells nobody again.
    before = len(bot.api.calls_to("sendMessage"))
    again = await run_push(services, Pusher(bot.application.bot, services))
    assert again.sent == 0 and len(bot.api.calls_to("sendMessage")) == before
    # A member who registers later gets the round from the next run, and only they do.
    bind(services.repository, UNBOUND, 1003)
    late = await run_push(services, Pusher(bot.application.bot, services))
    assert late.sent == 1 and len(invitations(bot.api, 1003)) == 1 and len(invitations(bot.api)) == len(IDS) + 1


async def test_a_member_who_blocked_the_bot_is_marked_and_their_admin_told(bot, services):
    bot.api.block_user(IDS["T002"])
    report = await run_push(services, Pusher(bot.application.bot, services))
    round_ = flow(bot).existing_round()
    assert [u.member.staff_no for u in report.blocked] == ["T002"] and report.sent == len(IDS) - 1
    assert services.repository.delivery("round", str(round_.id), member(services, "T002").id).status == "blocked"
    assert member(services, "T002").reachable is False
    [told] = [t for t in bot.api.sent_messages(IDS["A001"]) if "收不到推送" in t]
    assert "本周测验有 2 人收不到推送" in told and "钱老师" in told and "孙老师" in told
    assert not [t for t in bot.api.sent_messages(IDS["A101"]) if "收不到推送" in t]  # nobody missing there
    # Unblocking and a later run: delivered, reachable again, nobody told twice.
    bot.api.unblock_user(IDS["T002"])
    services.repository.db.execute(
        "UPDATE outbox SET status = 'pending' WHERE kind = 'round' AND member_id = ?", [member(services, "T002").id]
    )  # an admin re-queued them
    again = await run_push(services, Pusher(bot.application.bot, services))
    assert again.sent == 1 and member(services, "T002").reachable is True
    assert len([t for t in bot.api.sent_messages(IDS["A001"]) if "收不到推送" in t]) == 1


async def crash_mid_push(bot: BotHarness, services: Services, after: int) -> None:
    """Kill a push hard after `after` invitations, with sends in flight that never reached Telegram."""
    round_ = flow(bot).current_round()
    task = asyncio.create_task(push_of(Pusher(bot.application.bot, services), services, round_))
    await bot.api.wait_for_async(lambda c: c.ok and c.method == "sendMessage", timeout=10, count=after)
    bot.api.fail_next("sendMessage", "timeout", n=PUSH_CONCURRENCY, delay=2)  # the link goes dead
    await asyncio.sleep(0.6)  # every worker is now stuck in a send
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def add_members(services: Services, n: int) -> None:
    roster = "姓名,工号,单位,角色\n" + "".join(f"老师{i},X{i:03d},城关二小,教师\n" for i in range(n))
    path = services.settings.data_dir / "more.csv"
    path.write_text(roster, encoding="utf-8")
    rows, _ = parse_roster(path)
    services.repository.import_roster(rows)
    for i in range(n):
        bind(services.repository, f"X{i:03d}", 50_000 + i)


async def test_a_restart_after_a_crash_mid_push_neither_skips_nor_repeats(bot, services):
    add_members(services, 40)
    await crash_mid_push(bot, services, after=12)
    round_ = flow(bot).existing_round()
    counts = round_counts(services, round_)
    assert counts.get("sending") and counts.get("pending") and counts["sent"] >= 12, counts
    # The restart's job finds the interrupted push and finishes it.
    report = await resume_push(services, Pusher(bot.application.bot, services))
    bound = [IDS.get(m.staff_no) or 50_000 + int(m.staff_no[1:]) for m in services.repository.members()
             if m.channels]
    assert report is not None and report.sent == len(bound) - counts["sent"]
    chats = [c.params["chat_id"] for c in invitations(bot.api)]
    assert sorted(chats) == sorted(bound) and len(bound) == len(IDS) + 40
    assert round_counts(services, round_) == {"sent": len(bound), "unreachable": 1}
    assert await resume_push(services, Pusher(bot.application.bot, services)) is None  # nothing left to do


async def test_a_graceful_stop_finishes_sends_in_flight_and_a_new_pusher_the_rest(bot, services):
    add_members(services, 40)
    round_ = flow(bot).current_round()
    pusher = Pusher(bot.application.bot, services)
    task = asyncio.create_task(push_of(pusher, services, round_))
    await bot.api.wait_for_async(lambda c: c.ok and c.method == "sendMessage", timeout=10, count=10)
    pusher.stop()
    first = await task
    assert first.stopped and first.left > 0
    counts = round_counts(services, round_)
    assert "sending" not in counts and counts["sent"] == first.sent == len(invitations(bot.api))
    second = await push_of(Pusher(bot.application.bot, services), services, round_)
    assert not second.stopped and first.sent + second.sent == len(IDS) + 40
    chats = [c.params["chat_id"] for c in invitations(bot.api)]
    assert len(chats) == len(set(chats)) == len(IDS) + 40


async def test_a_scheduler_stopped_mid_push_stops_gracefully_and_the_restart_finishes(api, services):
    add_members(services, 40)
    save_schedule(services.repository, Schedule(enabled=True))  # Wednesday noon: this week's push is due
    application = build_app(services.settings, services)
    async with BotHarness(api, application):
        scheduler = Scheduler(services, Pusher(application.bot, services))
        running = asyncio.create_task(scheduler.run())
        await api.wait_for_async(lambda c: c.ok and c.method == "sendMessage", timeout=10, count=10)
        stopping = asyncio.get_running_loop().time()
        scheduler.stop()  # what SIGTERM does: the sends in flight finish and are recorded
        await running
    assert asyncio.get_running_loop().time() - stopping < 2
    round_ = services.quizflow.existing_round()
    counts = round_counts(services, round_)
    assert "sending" not in counts and counts["pending"] > 0 and counts["sent"] == len(invitations(api)), counts
    restarted = build_app(services.settings, services)
    async with BotHarness(api, restarted):
        report = await resume_push(services, Pusher(restarted.bot, services))
    assert report.sent == counts["pending"]
    chats = [c.params["chat_id"] for c in invitations(api)]
    assert len(chats) == len(set(chats)) == len(IDS) + 40


async def test_a_bot_started_mid_week_pushes_the_round_that_was_never_pushed(bot, services):
    # With the weekly quiz switched off nothing goes out ...
    assert await resume_push(services, Pusher(bot.application.bot, services)) is None
    assert invitations(bot.api) == []
    # ... but a new deployment started on a Wednesday pushes this week's round at once, not next Monday.
    save_schedule(services.repository, Schedule(enabled=True))
    report = await resume_push(services, Pusher(bot.application.bot, services))
    assert report.sent == len(IDS) and len(invitations(bot.api)) == len(IDS)
    assert await resume_push(services, Pusher(bot.application.bot, services)) is None  # pushed: once only


# --- taking the quiz ----------------------------------------------------------------------


async def test_answers_by_poll_and_by_buttons_then_the_result_with_explanations(bot, services, tmp_path):
    # More multiple-choice questions in the bank: the seeded draw of 5 from a pool of 20 holds one.
    (tmp_path / "more.csv").write_text(BANK.split("\n")[0] + "\n" + "".join(
        f"多选,第{n}题：教师应当履行的义务有（　　）。,遵守宪法、法律和职业道德,为人师表,体罚学生,按时获取工资报酬,AB,"
        f"教师法第八条规定了教师的义务。,《中华人民共和国教师法》第八条\n" for n in range(8)
    ), encoding="utf-8")
    import_bank(services.repository, services.catalog, tmp_path / "more.csv")
    await run_push(services, Pusher(bot.application.bot, services))
    user = bot.api.user(IDS["T001"])
    [invitation] = invitations(bot.api, user.id)
    got, result = await take_quiz(
        bot, services, user, [True] * 5, lambda: bot.api.press_button(user, invitation, "quiz:")
    )
    round_ = flow(bot).existing_round()
    assert got[0].startswith(f"本周学法测验（{round_.week}，第1次作答）：共 5 题，80 分及格")
    [attempt] = services.repository.attempts(round_.id, member(services, "T001").id)
    questions = services.repository.attempt_questions(attempt.id)
    multiple = [q.kind for q in questions].count("multiple")
    assert multiple >= 1  # the seeded draw holds some of the bank's multiple-choice questions
    polls = [c for c in bot.api.calls_to("sendPoll") if c.params["chat_id"] == user.id]
    assert len(polls) == 5 - multiple  # each multiple-choice question came with buttons
    assert any(t.startswith("✓ 回答正确。") for t in got)  # the feedback after the buttons
    # After every answer, poll or buttons, the article the question was on is quoted: a quiz teaches.
    quoted = [t for t in got if "条文原文：《" in t]
    assert len(quoted) == sum(q.article_id is not None for q in questions) and len(quoted) >= 4
    text = result.result["text"]  # as the member sees it, the HTML rendered
    assert text.startswith("测验完成：答对 5/5 题，得分 100。\n恭喜通过！本周最高分 100。")
    for question in questions:
        assert question.explanation[:20] in text
    # The options are gone by now: each question is repeated with the right option's words, not a bare letter.
    from bot.render import answer_text

    assert "answer AB" not in text
    for question in questions:
        assert f"{question.stem}\n正确答案：{answer_text(question)}。" in text
    assert re.search(r"．遵守宪法、法律和职业道德；[A-D]．为人师表。", text)  # a multiple-choice answer names both
    assert "reply_markup" not in result.params or not result.params["reply_markup"]  # passed: no retake button
    [attempt] = services.repository.attempts(round_.id, member(services, "T001").id)
    assert (attempt.correct, attempt.score, attempt.passed) == (5, 1.0, True)
    rows = services.repository.db.execute(
        "SELECT position, answered_at FROM answers WHERE attempt_id = ? ORDER BY position", [attempt.id]
    ).fetchall()
    assert [r[0] for r in rows] == [0, 1, 2, 3, 4] and all(r[1] for r in rows)
    polls_mapped = services.repository.db.execute("SELECT count(poll_id) FROM sent_questions").fetchone()[0]
    assert polls_mapped == 5 - multiple


async def test_a_failed_attempt_then_a_retake_and_the_best_counts(bot, services):
    user = bot.api.user(IDS["T101"])
    _, result = await take_quiz(bot, services, user, [True, True, True, False, False], start_by_command(bot, user))
    assert result.result["text"].startswith("测验完成：答对 3/5 题，得分 60。\n未达到及格线，截止前可以重新作答（本周最高分 60）。")
    [[retake]] = result.params["reply_markup"]["inline_keyboard"]
    assert (retake["text"], retake["callback_data"]) == ("重新作答", "quiz:")
    round_ = flow(bot).existing_round()
    assert services.repository.passed_members(round_.id) == set()
    got, again = await take_quiz(
        bot, services, user, [True] * 4 + [False], lambda: bot.api.press_button(user, result, "quiz:")
    )
    assert "第2次作答" in got[0]
    assert again.result["text"].startswith("测验完成：答对 4/5 题，得分 80。\n恭喜通过！本周最高分 80。")
    attempts = services.repository.attempts(round_.id, member(services, "T101").id)
    assert [(a.number, a.score, a.passed) for a in attempts] == [(1, 0.6, False), (2, 0.8, True)]
    assert services.repository.passed_members(round_.id) == {member(services, "T101").id}


async def test_quiz_resumes_and_an_older_copy_of_a_poll_still_counts(bot, services):
    user = bot.api.user(IDS["T002"])
    calls = await act(bot, start_by_command(bot, user))
    calls = await answer(bot, services, user, calls, True)  # question 1
    first_copy = question_call(calls, user.id)
    resumed = await act(bot, start_by_command(bot, user))
    assert not [t for t in texts(resumed, user.id) if t.startswith("本周学法测验")]  # no new attempt, no intro
    second_copy = question_call(resumed, user.id)
    assert second_copy.method == first_copy.method and second_copy is not first_copy
    round_ = flow(bot).existing_round()
    [attempt] = services.repository.attempts(round_.id, member(services, "T002").id)
    assert attempt.next_position == 1
    after_old = await answer(bot, services, user, [first_copy], True)  # the member scrolled up
    assert services.repository.attempt(attempt.id).answered.keys() == {0, 1}
    if second_copy.method == "sendPoll":
        stale = await act(bot, lambda: bot.api.answer_poll(user, second_copy.result["poll"]["id"], [0]))
        assert texts(stale, user.id) == [M.QUIZ_STALE]
    assert question_call(after_old, user.id) is not None  # question 3 came


async def test_a_poll_answered_by_someone_else_is_ignored(bot, services):
    user = bot.api.user(IDS["T001"])
    calls = await act(bot, start_by_command(bot, user))
    asked = question_call(calls, user.id)
    if asked.method != "sendPoll":  # the multiple-choice question came first: move on to a poll
        calls = await answer(bot, services, user, calls, True)
        asked = question_call(calls, user.id)
    answers = services.repository.db.execute("SELECT count(*) FROM answers").fetchone()[0]
    stranger = bot.api.user(7777, "转发看到的人")
    ignored = await act(bot, lambda: bot.api.answer_poll(stranger, asked.result["poll"]["id"], [0]))
    assert ignored == []
    assert services.repository.db.execute("SELECT count(*) FROM answers").fetchone()[0] == answers
    round_ = flow(bot).existing_round()
    attempt = services.repository.open_attempt(round_.id, member(services, "T001").id)
    assert attempt.next_position == len(attempt.answered)  # the stranger's vote recorded nothing


async def test_quiz_only_in_private_chats_and_not_after_the_deadline(bot, services):
    user = bot.api.user(IDS["T001"])
    group = bot.api.group()
    calls = await act(bot, lambda: bot.api.send_text(user, "/quiz@xuefa_test_bot", group))
    assert texts(calls, group.id) == [M.QUIZ_PRIVATE_ONLY] and not bot.api.calls_to("sendPoll")
    wednesday = this_wednesday_noon()
    services.clock.pin(wednesday + timedelta(days=4, hours=10, minutes=1))  # Sunday 22:01
    calls = await act(bot, start_by_command(bot, user))
    [closed] = texts(calls, user.id)
    deadline = (wednesday + timedelta(days=4)).strftime("%Y-%m-%d")
    assert closed == f"本周测验已于 {deadline} 22:00 截止"


async def test_unknown_users_cannot_take_the_quiz(bot, services):
    stranger = bot.api.user(4004)
    calls = await act(bot, start_by_command(bot, stranger))
    assert texts(calls, stranger.id) == [M.WELCOME_UNKNOWN]
    assert services.repository.rounds() == []


# --- reminders ----------------------------------------------------------------------------


async def test_reminders_go_once_to_those_who_have_not_passed_and_admins_get_a_digest(bot, services):
    await run_push(services, Pusher(bot.application.bot, services))
    round_ = flow(bot).existing_round()
    now = services.clock.now()
    passer = member(services, "T001")
    attempt = start_or_resume(services.repository, round_, passer.id, now)
    for position in range(5):
        right = services.repository.attempt_question(attempt.id, position).answer
        answer_question(services.repository, attempt, position, right, now)
    assert finish(services.repository, attempt, round_, now).attempt.passed
    before = len(bot.api.calls)
    reminded = await send_reminders(bot.application.bot, services)
    sent = [c for c in bot.api.calls[before:] if c.ok and c.method == "sendMessage"]
    reminders = {c.params["chat_id"]: c.params["text"] for c in sent if "您还没有通过" in c.params["text"]}
    expected = {chat for staff_no, chat in IDS.items() if staff_no != "T001"}
    assert set(reminders) == expected and reminded == len(expected)
    assert reminders[IDS["T002"]].startswith("钱老师您好，本周学法测验将于")
    digests = {c.params["chat_id"]: c.params["text"] for c in sent if "尚未通过的人员" in c.params["text"]}
    assert set(digests) == {IDS["A001"], IDS["A101"]}  # 县教育局 has no unit admin
    one = digests[IDS["A001"]]
    assert one.startswith("【城关一小】本周测验尚未通过的人员（3 人，截止")
    assert "· 钱老师（T002）" in one and "· 李校长（A001）" in one and "张老师" not in one
    assert re.search(r"· 孙老师（T003）（无法送达", one)
    assert "（3 人" in digests[IDS["A101"]]
    # The job runs again (a restart on reminder day): nothing new goes out.
    before = len(bot.api.calls)
    assert await send_reminders(bot.application.bot, services) == 0
    assert not [c for c in bot.api.calls[before:] if c.method.startswith("send")]


async def test_a_failed_reminder_is_tried_again_and_a_blocked_one_is_not(bot, services):
    await run_push(services, Pusher(bot.application.bot, services))
    bot.api.fail_next("sendMessage", 400, n=1)  # the first reminder fails (say, a chat Telegram lost)
    bot.api.block_user(IDS["T002"])
    await send_reminders(bot.application.bot, services)
    round_ = flow(bot).existing_round()
    recorded = {r[0] for r in services.repository.db.execute(
        "SELECT member_id FROM outbox WHERE subject = ? AND kind = 'reminder' AND status != 'failed'", [str(round_.id)]
    ).fetchall()}
    first = services.repository.members()[0]  # members are reminded in unit and staff-number order
    assert first.staff_no == "B001"
    assert first.id not in recorded and member(services, "T002").id in recorded
    assert member(services, "T002").reachable is False
    before = len(bot.api.calls)
    assert await send_reminders(bot.application.bot, services) == 1
    [retry] = [c for c in bot.api.calls[before:] if c.ok and c.method == "sendMessage"]
    assert retry.params["chat_id"] == IDS["B001"]


async def test_no_reminders_without_a_round_this_week(bot, services):
    assert await send_reminders(bot.application.bot, services) == 0
    assert services.repository.rounds() == [] and not bot.api.calls_to("sendMessage")


# --- the schedule at start-up -------------------------------------------------------------


async def test_the_scheduler_follows_the_stored_schedule(bot, services):
    scheduler = Scheduler(services, Pusher(bot.application.bot, services))
    due = {job.name: job.due for job in scheduler.jobs}
    now = services.clock.now()  # Wednesday noon
    # Weekly quizzes are off: only retention and the backup (nightly) and the reviewers' queue run, whatever the schedule.
    assert [name for name, when in due.items() if when(now) is not None] == [
        "prune", "backup", "review-digest", "review-answers"]
    assert due["prune"](now).astimezone(SHANGHAI).strftime("%H:%M") == "03:30"
    save_schedule(services.repository, Schedule(
        push_weekday=1, push_time="09:00", reminder_weekday=5, reminder_time="16:00",
        deadline_weekday=7, deadline_time="22:00", digest_weekday=7, digest_time="20:15",
    ))
    # The last due time of each weekly job: this Monday's push, last Friday's reminder, last Sunday's digest.
    for name, weekday, clock in (("push", 1, "09:00"), ("reminder", 5, "16:00"), ("digest", 7, "20:15")):
        when = due[name](now).astimezone(SHANGHAI)
        assert (when.isoweekday(), when.strftime("%H:%M")) == (weekday, clock), name
        assert timedelta(0) <= now - when < timedelta(days=7)
    # A tick runs what is due and has not run: the push (still this week), not last week's reminder or digest.
    ran = await scheduler.tick()
    assert ran == ["prune", "backup", "push", "review-digest", "review-answers"]
    assert len(invitations(bot.api)) == len(IDS)
    assert await scheduler.tick() == []  # the same due times never run twice
