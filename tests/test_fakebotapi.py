"""Prove that a real PTB Application works against the fake Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Poll, Update
from telegram.constants import ChatAction
from telegram.error import EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakebotapi import BOT_USERNAME, FakeBotAPI

TOKEN = "123:abc"

# PTB itself reads RetryAfter.retry_after while building the exception message.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")


def server_threads() -> list[threading.Thread]:
    """Return the live threads of any fake server: its accept loop and request handlers."""
    return [t for t in threading.enumerate()
            if t.name == "FakeBotAPI" or "process_request_thread" in t.name]


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(TOKEN) as server:
        yield server
    assert server_threads() == []


def build_app(api: FakeBotAPI, **builder_options: object) -> Application:
    """Build a real Application pointed at the fake server that records handler errors."""
    builder = ApplicationBuilder().token(TOKEN).base_url(api.base_url).base_file_url(api.base_file_url)
    for name, value in builder_options.items():
        builder = getattr(builder, name)(value)
    app = builder.build()
    app.bot_data["errors"] = []

    async def record_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.bot_data["errors"].append(context.error)

    app.add_error_handler(record_error)
    return app


@contextlib.asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    """Run ``app`` with long polling and shut it down cleanly, failing on handler errors."""
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
    assert app.bot_data["errors"] == []


def plain_bot(api: FakeBotAPI, token: str = TOKEN, **request_options: object) -> Bot:
    """Build a bare Bot (no Application, no rate limiter) pointed at the fake server."""
    request = HTTPXRequest(**request_options) if request_options else None
    return Bot(token, base_url=api.base_url, base_file_url=api.base_file_url, request=request)


async def eventually(condition: Callable[[], object], timeout: float = 3) -> None:
    """Wait until ``condition()`` is truthy, yielding to the event loop."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_get_me_and_wrong_token(api: FakeBotAPI) -> None:
    async with plain_bot(api) as bot:
        assert (bot.id, bot.username, bot.first_name) == (123, BOT_USERNAME, "学法助手")
        assert bot.bot.can_join_groups and not bot.bot.supports_inline_queries
    with pytest.raises(InvalidToken):
        async with plain_bot(api, token="999:wrong"):
            pass
    assert [(c.method, c.status) for c in api.rejected] == [("getMe", 401)]
    body = httpx.post(f"{api.base_url}999:wrong/getMe").json()
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_echo_and_command_args(api: FakeBotAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("args=" + ",".join(context.args))

    app = build_app(api)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    teacher, student = api.user(1001), api.user(1002, "李同学", "li_student")
    async with running(app):
        api.send_text(teacher, "你好，学法 👋")
        api.send_command(student, "/start INVITE42 extra")
        await api.wait_for_async("sendMessage", count=2)
    assert api.sent_messages(chat_id=1001) == ["你好，学法 👋"]
    assert api.sent_messages(chat_id=1002) == ["args=INVITE42,extra"]
    reply = api.calls_to("sendMessage")[1].result
    assert reply["from"]["username"] == BOT_USERNAME and reply["chat"]["type"] == "private"


async def test_group_answers_only_mentions_and_replies(api: FakeBotAPI) -> None:
    async def maybe_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        replied_to_bot = msg.reply_to_message and msg.reply_to_message.from_user.id == context.bot.id
        mentioned = f"@{context.bot.username}" in msg.parse_entities(["mention"]).values()
        if replied_to_bot or mentioned:
            await msg.reply_text(f"收到：{msg.text}")

    app = build_app(api)
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.TEXT, maybe_answer))
    alice, bob = api.user(3001, "王老师"), api.user(3002, "赵老师")
    group = api.group(-1001234567890)
    async with running(app):
        chatter = api.send_text(alice, "大家好", chat=group)
        api.send_text(alice, "请问@xuefa_test_bot 怎么报名？", chat=group)
        first = await api.wait_for_async("sendMessage")
        api.send_text(bob, "回复王老师", chat=group, reply_to_message=chatter)
        api.send_text(bob, "谢谢", chat=group, reply_to_message=first)
        await api.wait_for_async("sendMessage", count=2)
    assert api.sent_messages(chat_id=group.id) == ["收到：请问@xuefa_test_bot 怎么报名？", "收到：谢谢"]
    assert first.result["chat"] == {"id": group.id, "type": "supergroup", "title": "学法交流群"}


async def test_callback_query_answer_and_edit(api: FakeBotAPI) -> None:
    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("已确认")
        await query.edit_message_text(f"已选择：{query.data}")

    app = build_app(api)
    app.add_handler(CallbackQueryHandler(on_button))
    user = api.user(4001)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("宪法", callback_data="course:1")]])
    async with running(app):
        menu = await app.bot.send_message(user.id, "请选择课程", reply_markup=keyboard)
        assert menu.reply_markup == keyboard
        query = api.press_button(user, api.calls_to("sendMessage")[0], "course:1")
        edit = await api.wait_for_async("editMessageText")
    answer = api.calls_to("answerCallbackQuery")[0]
    assert answer.params == {"callback_query_id": query["id"], "text": "已确认"}
    assert query["message"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "course:1"
    assert (edit.params["chat_id"], edit.params["message_id"]) == (user.id, menu.message_id)
    edited = api.message(user.id, menu.message_id)
    assert edited["text"] == "已选择：course:1" and "reply_markup" not in edited


async def test_quiz_poll_and_answer(api: FakeBotAPI) -> None:
    answers = []

    async def on_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answers.append(update.poll_answer)

    app = build_app(api)
    app.add_handler(PollAnswerHandler(on_answer))
    user = api.user(5001)
    options = ["3月15日", "12月4日", "10月1日"]
    async with running(app):
        msg = await app.bot.send_poll(user.id, "国家宪法日是哪一天？", options, type=Poll.QUIZ,
                                      correct_option_ids=[1], is_anonymous=False,
                                      explanation="2014年起每年12月4日")
        api.answer_poll(user, msg.poll.id, [1])
        await eventually(lambda: answers)
        stopped = await app.bot.stop_poll(user.id, msg.message_id)
    sent = api.calls_to("sendPoll")[0].params
    assert sent["options"] == [{"text": o} for o in options]
    assert (sent["type"], sent["correct_option_ids"], sent["is_anonymous"]) == ("quiz", [1], False)
    poll = msg.poll
    assert (poll.type, poll.correct_option_ids, poll.is_anonymous) == (Poll.QUIZ, (1,), False)
    assert (poll.allows_revoting, poll.members_only, poll.is_closed) == (False, False, False)
    assert [o.text for o in poll.options] == options
    assert len({o.persistent_id for o in poll.options}) == 3
    answer = answers[0]
    assert (answer.poll_id, answer.user.id, answer.option_ids) == (poll.id, user.id, (1,))
    assert answer.option_persistent_ids == (poll.options[1].persistent_id,)
    assert stopped.is_closed and stopped.total_voter_count == 1
    assert [o.voter_count for o in stopped.options] == [0, 1, 0]


async def test_document_download_and_uploads(api: FakeBotAPI) -> None:
    payload = bytes(range(256)) * 40 + b"\r\n--not-a-boundary\r\n\r\n"
    received = {}

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        doc = update.message.document
        data = await (await doc.get_file()).download_as_bytearray()
        received[doc.file_name] = bytes(data)
        await update.message.reply_text(f"收到 {doc.file_name}，{len(data)} 字节")

    app = build_app(api)
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    user = api.user(6001)
    async with running(app):
        api.send_document(user, "学习笔记.pdf", payload, "application/pdf")
        await api.wait_for_async("sendMessage")
        sent = await app.bot.send_document(user.id, payload, filename="回执.bin", caption="回执")
        photo = await app.bot.send_photo(user.id, b"\x89PNG\r\n\x1a\nfake", caption="<b>照片</b>",
                                         parse_mode="HTML")
        out = io.BytesIO()
        await (await app.bot.get_file(sent.document.file_id)).download_to_memory(out)
    assert received == {"学习笔记.pdf": payload}
    assert api.sent_messages(user.id) == [f"收到 学习笔记.pdf，{len(payload)} 字节"]
    upload = api.calls_to("sendDocument")[0]
    assert upload.files["document"] == ("回执.bin", payload) and upload.params["caption"] == "回执"
    assert (sent.document.file_name, sent.document.file_size, sent.caption) == ("回执.bin", len(payload), "回执")
    assert out.getvalue() == payload
    assert api.calls_to("sendPhoto")[0].files["photo"][1] == b"\x89PNG\r\n\x1a\nfake"
    assert photo.photo[-1].file_size == 12 and photo.caption == "照片"


async def test_rate_limit_raises_retry_after_without_limiter(api: FakeBotAPI) -> None:
    api.rate_limit(per_second=30)
    user = api.user(7001)
    async with plain_bot(api, connection_pool_size=50) as bot:
        results = await asyncio.gather(*(bot.send_message(user.id, f"通知 {i}") for i in range(40)),
                                       return_exceptions=True)
        flood = [r for r in results if isinstance(r, RetryAfter)]
        assert len(flood) == 10 and all("Retry in 1 seconds" in str(e) for e in flood)
        assert api.delivered("sendMessage") == 30 and len(api.sent_messages()) == 30
        assert {(c.method, c.status) for c in api.rejected} == {("sendMessage", 429)}
        assert len(api.rejected) == 10
        await asyncio.sleep(1.05)
        await bot.send_message(user.id, "窗口已恢复")
    assert api.delivered("sendMessage") == 31


async def test_aiolimiter_retries_through_429(api: FakeBotAPI) -> None:
    # PTB's AIORateLimiter is a leaky bucket: a burst of 30 plus a steady 30/s can exceed a
    # strict rolling window, so a few 429s are expected and max_retries must absorb them.
    api.rate_limit(per_second=30)
    app = build_app(api, rate_limiter=AIORateLimiter(max_retries=3))
    user = api.user(7101)
    async with app:
        await asyncio.gather(*(app.bot.send_message(user.id, f"{i}") for i in range(45)))
    assert api.delivered("sendMessage") == 45
    assert api.rejected and all(c.status == 429 for c in api.rejected)


async def test_blocked_user_gets_forbidden(api: FakeBotAPI) -> None:
    api.block_user(8001)
    async with plain_bot(api) as bot:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(8001, "作业提醒")
        await bot.send_message(8002, "作业提醒")
    assert api.sent_messages() == ["作业提醒"] and api.delivered("sendMessage") == 1
    assert [(c.status, c.params["chat_id"]) for c in api.rejected] == [(403, 8001)]


async def test_transient_failures(api: FakeBotAPI) -> None:
    api.fail_next("sendMessage", 500)
    api.fail_next("sendMessage", "timeout", delay=0.5)
    api.fail_next("sendMessage", "disconnect")
    async with plain_bot(api, read_timeout=0.2) as bot:
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(1, "a")
        with pytest.raises(TimedOut):
            await bot.send_message(1, "b")
        with pytest.raises(NetworkError):
            await bot.send_message(1, "c")
        await bot.send_message(1, "d")
    await api.wait_for_async(lambda c: c.params.get("text") == "b")
    assert api.sent_messages() == ["d"]
    assert sorted(c.status for c in api.rejected) == [0, 0, 500]


async def test_unknown_method_commands_webhook_and_chat(api: FakeBotAPI) -> None:
    user = api.user(9001, "陈老师", "chen")
    async with plain_bot(api) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("fooBar", api_kwargs={"x": 1})
        assert await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
        assert await bot.delete_my_commands() and await bot.get_my_commands() == ()
        assert await bot.set_webhook("https://example.invalid/hook")
        assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
        assert await bot.delete_webhook() and (await bot.get_webhook_info()).url == ""
        chat = await bot.get_chat(user.id)
        assert (chat.type, chat.first_name, chat.username) == ("private", "陈老师", "chen")
        assert await bot.send_chat_action(user.id, ChatAction.TYPING)
    unknown = api.calls_to("fooBar", include_rejected=True)[0]
    assert (unknown.status, unknown.params) == (404, {"x": 1})
    assert api.calls_to("setMyCommands")[0].params["commands"][0] == {"command": "start", "description": "开始"}


async def test_raw_http_bodies(api: FakeBotAPI) -> None:
    url = f"{api.base_url}{TOKEN}"
    async with httpx.AsyncClient() as client:
        form = await client.post(f"{url}/sendMessage", data={"chat_id": "42", "text": "123"})
        as_json = await client.post(f"{url}/sendMessage", json={"chat_id": 42, "text": "true"})
        multipart = await client.post(f"{url}/sendDocument", data={"chat_id": "42"},
                                      files={"document": ("a b.txt", b"\x00\r\nx", "text/plain")})
        missing = await client.post(f"{url}/noSuchMethod")
    assert form.json()["result"]["text"] == "123" and as_json.json()["result"]["text"] == "true"
    assert [c.params for c in api.calls_to("sendMessage")] == [
        {"chat_id": 42, "text": "123"}, {"chat_id": 42, "text": "true"}]
    assert api.calls_to("sendDocument")[0].files == {"document": ("a b.txt", b"\x00\r\nx")}
    assert multipart.json()["result"]["document"]["mime_type"] == "text/plain"
    assert (missing.status_code, missing.json()) == (
        404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})


def test_wait_for_timeout_and_clean_stop() -> None:
    before = set(threading.enumerate())
    api = FakeBotAPI(TOKEN, max_poll_wait=10).start()
    with pytest.raises(TimeoutError):
        api.wait_for("sendMessage", timeout=0.05)

    def long_poll() -> None:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{api.base_url}{TOKEN}/getUpdates?timeout=30").read()

    poller = threading.Thread(target=long_poll)
    poller.start()
    time.sleep(0.1)  # let the long poll park on the condition variable
    started = time.monotonic()
    api.stop()
    poller.join(timeout=2)
    assert time.monotonic() - started < 1.0, "stop() must wake the parked long poll"
    assert set(threading.enumerate()) - before == set()


async def test_many_concurrent_requests_are_all_delivered_in_order(api: FakeBotAPI) -> None:
    # Speed is measured by bench/broadcast.py, not here: this checks nothing is lost or renumbered.
    async with plain_bot(api, connection_pool_size=16) as bot:
        await asyncio.gather(*(bot.send_message(i % 7 + 1, f"m{i}") for i in range(140)))
        for i in range(200):
            await bot.send_message(1, f"s{i}")
    assert api.delivered("sendMessage") == 340
    per_chat = [c.result["message_id"] for c in api.calls_to("sendMessage") if c.params["chat_id"] == 1]
    assert sorted(per_chat) == list(range(1, 221))
