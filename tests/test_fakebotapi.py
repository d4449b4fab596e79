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
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Poll,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
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


# -- Telegram's documented limits -------------------------------------------------------------

def post(api: FakeBotAPI, method: str, **params: object) -> httpx.Response:
    """Call ``method`` with a JSON body, as any Bot API client may."""
    return httpx.post(f"{api.base_url}{TOKEN}/{method}", json=params)


def accepted(api: FakeBotAPI, method: str, **params: object) -> dict:
    """Call ``method``, assert Telegram's success and return the result."""
    response = post(api, method, **params)
    assert response.status_code == 200, response.json()
    return response.json()["result"]


def refused(api: FakeBotAPI, method: str, description: str, **params: object) -> None:
    """Call ``method``, assert Telegram's 400 with ``description`` and that the call was recorded as refused."""
    response = post(api, method, **params)
    assert (response.status_code, response.json()) == (
        400, {"ok": False, "error_code": 400, "description": description})
    last = api.calls_to(method, include_rejected=True)[-1]
    assert (last.status, last.result) == (400, None)


def test_text_length_counts_utf16_units_after_html_parsing(api: FakeBotAPI) -> None:
    too_long = "Bad Request: message is too long"
    assert accepted(api, "sendMessage", chat_id=1, text="法" * 4096)["text"] == "法" * 4096
    refused(api, "sendMessage", too_long, chat_id=1, text="法" * 4097)
    accepted(api, "sendMessage", chat_id=1, text="😀" * 2048)  # an emoji is 2 UTF-16 units
    refused(api, "sendMessage", too_long, chat_id=1, text="😀" * 2048 + "a")
    refused(api, "sendMessage", too_long, chat_id=1, text="a" * 4095 + "😀")
    # The raw HTML is longer than 4096; what counts is the text once parsed.
    bold = accepted(api, "sendMessage", chat_id=1, text="<b>" + "法" * 4090 + "</b>&lt;&gt;&amp;&quot;&#x4E2D;&#20013;",
                    parse_mode="HTML")
    assert bold["text"] == "法" * 4090 + '<>&"中中' and "entities" not in bold
    assert accepted(api, "sendMessage", chat_id=1, text="&lt;" * 4096, parse_mode="HTML")["text"] == "<" * 4096
    refused(api, "sendMessage", too_long, chat_id=1, text="&lt;" * 4097, parse_mode="HTML")
    # Without parse_mode, tags are text and count.
    refused(api, "sendMessage", too_long, chat_id=1, text="<b>" + "法" * 4094 + "</b>")
    # A refused message is not stored: the next one takes the next message_id.
    assert accepted(api, "sendMessage", chat_id=1, text="下一条")["message_id"] == 5
    assert api.sent_messages(1)[-1] == "下一条" and len(api.rejected) == 5


def test_edit_message_text_has_the_same_limits(api: FakeBotAPI) -> None:
    sent = accepted(api, "sendMessage", chat_id=1, text="原文")
    target = {"chat_id": 1, "message_id": sent["message_id"]}
    refused(api, "editMessageText", "Bad Request: message is too long", **target, text="法" * 4097)
    refused(api, "editMessageText", "Bad Request: message text is empty", **target, text="")
    refused(api, "editMessageText", 'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to '
                                    'start tag "b"', **target, text="<b>改", parse_mode="HTML")
    assert api.message(1, sent["message_id"])["text"] == "原文"  # refused edits change nothing
    edited = accepted(api, "editMessageText", **target, text="<i>" + "改" * 4096 + "</i>", parse_mode="HTML")
    assert edited["text"] == "改" * 4096


@pytest.mark.parametrize(("text", "parse_mode", "description"), [
    ("", None, "Bad Request: message text is empty"),
    (None, None, "Bad Request: message text is empty"),
    (" \n ", None, "Bad Request: text must be non-empty"),
    ("<b> </b>\n", "HTML", "Bad Request: text must be non-empty"),
    ("\u3000", None, "Bad Request: text must be non-empty"),
    ("x", "HTM", "Bad Request: unsupported parse_mode"),
])
def test_empty_texts_are_refused(api: FakeBotAPI, text: str | None, parse_mode: str | None,
                                 description: str) -> None:
    params = {"chat_id": 1, **({"text": text} if text is not None else {}),
              **({"parse_mode": parse_mode} if parse_mode else {})}
    refused(api, "sendMessage", description, **params)
    assert api.sent_messages() == []


def test_every_documented_html_tag_is_accepted(api: FakeBotAPI) -> None:
    text = ('<b>b</b><strong>strong</strong><i>i</i><em>em</em><u>u</u><ins>ins</ins><s>s</s>'
            '<strike>strike</strike><del>del</del><span class="tg-spoiler">spoiler</span>'
            '<tg-spoiler>tg</tg-spoiler><b>bold <i>italic <s>strike <u>underline</u></s></i></b>'
            '<a href="http://www.example.com/?a=1&b=2">url</a><a href="tg://user?id=123456789">user</a>'
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji><code>code</code><pre>pre</pre>'
            '<pre><code class="language-python">print(1)</code></pre>'
            '<blockquote>quote</blockquote><blockquote expandable>more</blockquote>'
            '<tg-time unix="1647531900" format="wDT">date</tg-time><B>UPPER</B>'
            " &lt;&gt;&amp;&quot;&#39;&#x27;")
    result = accepted(api, "sendMessage", chat_id=1, text=text, parse_mode="HTML")
    assert result["text"] == ("bstrongiemuinssstrikedelspoilertgbold italic strike underlineurluser👍codepre"
                              "print(1)quotemoredateUPPER <>&\"''")


@pytest.mark.parametrize(("text", "error"), [
    ("<b>未闭合", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>交错</b></i>", 'Unmatched end tag at byte offset 12, expected "</i>", found "</b>"'),
    ("多余</b>", "Unexpected end tag at byte offset 6"),
    ("<br>", 'Unsupported start tag "br" at byte offset 0'),
    ("<p>段落</p>", 'Unsupported start tag "p" at byte offset 0'),
    ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
    ("<!-- c -->", 'Unsupported start tag "!--" at byte offset 0'),
    ("第1 < 2条", 'Unsupported start tag "" at byte offset 5'),
    ("结尾<b", "Unclosed start tag at byte offset 6"),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ('<a href="x">y</a', "Unclosed end tag at byte offset 13"),
    ('<a ="x">y</a>', 'Empty attribute name in the tag "a" at byte offset 0'),
    ("<a/>", 'Unsupported start tag "a/" at byte offset 0'),
    ("<tg-emoji emoji-id=\"abc\">👍</tg-emoji>", "Invalid custom emoji identifier specified"),
    ("&#xD83D;", ("Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
                  "surrogate code units")),
    # Refused by the fake because the docs demand escaping; Telegram would show these verbatim.
    ("A&nbsp;B", ('Unsupported HTML entity "&nbsp;" at byte offset 1; only &lt; &gt; &amp; &quot; and numerical '
                  "entities are supported")),
    ("AT&T", "Character '&' at byte offset 2 must be written &amp;"),
    ("甲 & 乙", "Character '&' at byte offset 4 must be written &amp;"),
    ("&#0;", ('Unsupported HTML entity "&#0;" at byte offset 0; only &lt; &gt; &amp; &quot; and numerical entities '
              "are supported")),
    ("1 > 0", "Character '>' at byte offset 2 must be written &gt;"),
    ("&amp没有分号", 'HTML entity "&amp" at byte offset 0 must end with ";"'),
])
def test_malformed_html_is_refused_like_telegram(api: FakeBotAPI, text: str, error: str) -> None:
    description = f"Bad Request: can't parse entities: {error}"
    refused(api, "sendMessage", description, chat_id=1, text=text, parse_mode="HTML")
    refused(api, "sendPhoto", description, chat_id=1, photo="AgFakePhoto", caption=text, parse_mode="HTML")
    assert api.delivered("sendMessage") == api.delivered("sendPhoto") == 0


async def test_html_errors_reach_ptb_as_bad_request(api: FakeBotAPI) -> None:
    async with plain_bot(api) as bot:
        with pytest.raises(BadRequest, match="(?i)can't find end tag corresponding to start tag \"code\""):
            await bot.send_message(1, "<code>第三条", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(1, "法" * 4097)
        sent = await bot.send_message(1, "<b>第三条</b> &lt;说明&gt;", parse_mode="HTML")
    assert sent.text == "第三条 <说明>"


def test_lenient_html_keeps_what_telegram_keeps() -> None:
    with FakeBotAPI(TOKEN, strict_html=False) as lenient:
        result = accepted(lenient, "sendMessage", chat_id=1, text="A&nbsp;B AT&T 1 > 0 &amp &lt;",
                          parse_mode="HTML")
        assert result["text"] == "A&nbsp;B AT&T 1 > 0 & <"
        refused(lenient, "sendMessage", "Bad Request: can't parse entities: Unsupported start tag \"br\" at "
                                        "byte offset 0", chat_id=1, text="<br>", parse_mode="HTML")


def keyboard(*buttons: dict) -> dict:
    return {"inline_keyboard": [list(buttons)]}


def test_inline_keyboards_on_every_method(api: FakeBotAPI) -> None:
    data_invalid = "Bad Request: BUTTON_DATA_INVALID"
    ok64 = keyboard({"text": "a", "callback_data": "x" * 64}, {"text": "b", "callback_data": "法" * 21})
    accepted(api, "sendMessage", chat_id=1, text="菜单", reply_markup=ok64)
    refused(api, "sendMessage", data_invalid, chat_id=1, text="菜单",
            reply_markup=keyboard({"text": "a", "callback_data": "x" * 65}))
    # 64 is counted in UTF-8 bytes: 22 CJK characters are 66 bytes.
    refused(api, "sendMessage", data_invalid, chat_id=1, text="菜单",
            reply_markup=keyboard({"text": "a", "callback_data": "法" * 22}))
    refused(api, "sendMessage", "Bad Request: inline keyboard button text must be non-empty", chat_id=1,
            text="菜单", reply_markup=keyboard({"text": "", "callback_data": "a"}))
    refused(api, "sendMessage", "Bad Request: can't parse inline keyboard button: Text buttons are unallowed "
                                "in the inline keyboard", chat_id=1, text="菜单",
            reply_markup=keyboard({"text": "a", "callback_data": ""}))
    refused(api, "sendMessage", "Bad Request: can't parse reply keyboard markup JSON object", chat_id=1,
            text="菜单", reply_markup="{not json")
    accepted(api, "sendMessage", chat_id=1, text="链接", reply_markup=keyboard({"text": "官网", "url": "https://x.org"}))
    too_long = keyboard({"text": "a", "callback_data": "x" * 65})
    menu = {"chat_id": 1, "message_id": 1}
    refused(api, "editMessageText", data_invalid, **menu, text="新菜单", reply_markup=too_long)
    refused(api, "editMessageReplyMarkup", data_invalid, **menu, reply_markup=too_long)
    assert api.message(1, 1)["reply_markup"] == ok64  # unchanged by the refused edits
    refused(api, "sendPhoto", data_invalid, chat_id=1, photo="AgFakePhoto", reply_markup=too_long)
    refused(api, "sendDocument", data_invalid, chat_id=1, document="BQFakeDoc", reply_markup=too_long)
    refused(api, "sendPoll", data_invalid, chat_id=1, question="问", options=["是", "否"], reply_markup=too_long)
    refused(api, "stopPoll", data_invalid, chat_id=1, message_id=1, reply_markup=too_long)
    assert accepted(api, "editMessageReplyMarkup", **menu, reply_markup=keyboard(
        {"text": "✓", "callback_data": "y" * 64}))["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "y" * 64


async def test_ptb_keyboard_over_64_bytes_is_refused(api: FakeBotAPI) -> None:
    def buttons(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("宪法", callback_data=data)]])

    async with plain_bot(api) as bot:
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await bot.send_message(1, "请选择课程", reply_markup=buttons("course:" + "课" * 19 + "x"))  # 65 bytes
        await bot.send_message(1, "请选择课程", reply_markup=buttons("course:" + "课" * 19))  # 64 bytes
    assert [(c.method, c.status) for c in api.rejected] == [("sendMessage", 400)]


def poll(**params: object) -> dict:
    return {"chat_id": 1, "question": "问题", "options": [{"text": "是"}, {"text": "否"}], **params}


def test_poll_question_and_options(api: FakeBotAPI) -> None:
    accepted(api, "sendPoll", **poll(question="问" * 300))
    refused(api, "sendPoll", "Bad Request: poll question length must not exceed 300", **poll(question="问" * 301))
    accepted(api, "sendPoll", **poll(question="😀" * 150))
    refused(api, "sendPoll", "Bad Request: poll question length must not exceed 300", **poll(question="😀" * 151))
    refused(api, "sendPoll", "Bad Request: text must be non-empty", **poll(question=""))
    refused(api, "sendPoll", "Bad Request: text must be non-empty", **poll(question=" "))
    options = [{"text": f"选项{i}"} for i in range(13)]
    assert len(accepted(api, "sendPoll", **poll(options=options[:12]))["poll"]["options"]) == 12
    refused(api, "sendPoll", "Bad Request: poll can't have more than 12 options", **poll(options=options))
    refused(api, "sendPoll", "Bad Request: POLL_ANSWERS_INVALID", **poll(options=options[:1]))
    refused(api, "sendPoll", "Bad Request: poll must have at least one answer option", **poll(options=[]))
    sent = accepted(api, "sendPoll", **poll(options=["项" * 100, "😀" * 50]))
    assert [o["text"] for o in sent["poll"]["options"]] == ["项" * 100, "😀" * 50]
    refused(api, "sendPoll", "Bad Request: poll options length must not exceed 100",
            **poll(options=["项" * 101, "否"]))
    refused(api, "sendPoll", "Bad Request: poll options length must not exceed 100",
            **poll(options=["是", "😀" * 50 + "a"]))
    refused(api, "sendPoll", "Bad Request: text must be non-empty", **poll(options=["是", ""]))
    assert api.delivered("sendPoll") == 4 and len(api._polls) == 4  # refused polls are not stored


def test_quiz_correct_options_and_explanation(api: FakeBotAPI) -> None:
    quiz = {"type": "quiz", "options": ["甲", "乙", "丙"], "is_anonymous": False}
    sent = accepted(api, "sendPoll", **poll(**quiz, correct_option_ids=[2], explanation="解" * 200))
    assert (sent["poll"]["correct_option_ids"], sent["poll"]["explanation"]) == ([2], "解" * 200)
    accepted(api, "sendPoll", **poll(**quiz, correct_option_id=0))
    accepted(api, "sendPoll", **poll(**quiz, correct_option_ids=[0, 2]))
    refused(api, "sendPoll", "Bad Request: wrong quiz correct_option_id", **poll(**quiz, correct_option_ids=[3]))
    refused(api, "sendPoll", "Bad Request: wrong quiz correct_option_id", **poll(**quiz, correct_option_ids=[-1]))
    refused(api, "sendPoll", "Bad Request: correct quiz option list must be non-empty", **poll(**quiz))
    refused(api, "sendPoll", "Bad Request: correct quiz option list must be increasing",
            **poll(**quiz, correct_option_ids=[2, 0]))
    too_long = "Bad Request: poll explanation length must not exceed 200"
    refused(api, "sendPoll", too_long, **poll(**quiz, correct_option_ids=[1], explanation="解" * 201))
    refused(api, "sendPoll", too_long, **poll(**quiz, correct_option_ids=[1], explanation="😀" * 100 + "a"))
    accepted(api, "sendPoll", **poll(**quiz, correct_option_ids=[1], explanation="第一行\n第二行\n第三行"))
    refused(api, "sendPoll", "Bad Request: poll explanation must not contain more than 2 line feeds",
            **poll(**quiz, correct_option_ids=[1], explanation="一\n二\n三\n四"))
    # Counted after entity parsing, like a message.
    html = accepted(api, "sendPoll", **poll(**quiz, correct_option_ids=[1], explanation="<b>" + "解" * 200 + "</b>",
                                           explanation_parse_mode="HTML"))
    assert html["poll"]["explanation"] == "解" * 200
    refused(api, "sendPoll", "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
                             '"b"', **poll(**quiz, correct_option_ids=[1], explanation="<b>解",
                                           explanation_parse_mode="HTML"))


async def test_ptb_quiz_poll_limits(api: FakeBotAPI) -> None:
    async with plain_bot(api) as bot:
        with pytest.raises(BadRequest, match="Poll question length must not exceed 300"):
            await bot.send_poll(1, "问" * 301, ["是", "否"])
        with pytest.raises(BadRequest, match="Wrong quiz correct_option_id"):
            await bot.send_poll(1, "问", ["是", "否"], type=Poll.QUIZ, correct_option_ids=[2])
        msg = await bot.send_poll(1, "问" * 300, ["是" * 100, "否"], type=Poll.QUIZ, correct_option_ids=[1],
                                  explanation="解" * 200)
    assert (len(msg.poll.question), msg.poll.explanation) == (300, "解" * 200)


def test_captions_of_documents_and_photos(api: FakeBotAPI) -> None:
    too_long = "Bad Request: message caption is too long"
    doc = accepted(api, "sendDocument", chat_id=1, document="BQFakeDoc", caption="注" * 1024)
    assert doc["caption"] == "注" * 1024
    refused(api, "sendDocument", too_long, chat_id=1, document="BQFakeDoc", caption="注" * 1025)
    refused(api, "sendPhoto", too_long, chat_id=1, photo="AgFakePhoto", caption="😀" * 512 + "a")
    photo = accepted(api, "sendPhoto", chat_id=1, photo="AgFakePhoto", caption="<b>" + "注" * 1024 + "</b>",
                     parse_mode="HTML")
    assert photo["caption"] == "注" * 1024
    assert "caption" not in accepted(api, "sendPhoto", chat_id=1, photo="AgFakePhoto", caption="")
    assert len(api._files) == 3  # refused sends store no file


def test_answer_callback_query_text(api: FakeBotAPI) -> None:
    user = api.user(4001)
    menu = accepted(api, "sendMessage", chat_id=user.id, text="菜单",
                    reply_markup=keyboard({"text": "宪法", "callback_data": "course:1"}))
    query = api.press_button(user, menu, "course:1")
    assert accepted(api, "answerCallbackQuery", callback_query_id=query["id"], text="答" * 200) is True
    refused(api, "answerCallbackQuery", "Bad Request: MESSAGE_TOO_LONG", callback_query_id=query["id"],
            text="答" * 201)
    refused(api, "answerCallbackQuery", "Bad Request: MESSAGE_TOO_LONG", callback_query_id=query["id"],
            text="😀" * 100 + "!", show_alert=True)


def commands(n: int, **overrides: str) -> list[dict]:
    return [{"command": f"cmd_{i}", "description": f"命令{i}", **overrides} for i in range(n)]


def test_set_my_commands_limits(api: FakeBotAPI) -> None:
    assert accepted(api, "setMyCommands", commands=commands(100)) is True
    refused(api, "setMyCommands", "Bad Request: BOT_COMMANDS_TOO_MUCH", commands=commands(101))
    accepted(api, "setMyCommands", commands=[{"command": "a" * 32, "description": "说" * 256}])
    refused(api, "setMyCommands", "Bad Request: command length must not exceed 32",
            commands=[{"command": "a" * 33, "description": "说"}])
    refused(api, "setMyCommands", "Bad Request: command description length must not exceed 256",
            commands=[{"command": "start", "description": "说" * 257}])
    refused(api, "setMyCommands", "Bad Request: command must be non-empty",
            commands=[{"command": "", "description": "说"}])
    refused(api, "setMyCommands", "Bad Request: command description must be non-empty",
            commands=[{"command": "start", "description": " "}])
    for bad in ("Start", "help-me", "/start", "学习", "quiz now"):
        refused(api, "setMyCommands", "Bad Request: BOT_COMMAND_INVALID",
                commands=[{"command": "ok", "description": "好"}, {"command": bad, "description": "坏"}])
    assert accepted(api, "getMyCommands") == [{"command": "a" * 32, "description": "说" * 256}]


async def test_commands_are_kept_per_scope(api: FakeBotAPI) -> None:
    teacher, admin = api.user(9101), api.user(9102)
    async with plain_bot(api) as bot:
        assert await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("quiz", "答题")])
        assert await bot.set_my_commands([BotCommand("help", "帮助")], scope=BotCommandScopeAllGroupChats())
        assert await bot.set_my_commands([BotCommand("report", "报表")], scope=BotCommandScopeChat(admin.id))
        assert await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Report", "报表")], scope=BotCommandScopeChat(admin.id))

        async def names(**kwargs: object) -> list[str]:
            return [c.command for c in await bot.get_my_commands(**kwargs)]

        assert await names() == ["start", "quiz"]
        assert await names(scope=BotCommandScopeAllGroupChats()) == ["help"]
        assert await names(scope=BotCommandScopeChat(admin.id)) == ["report"]
        assert await names(scope=BotCommandScopeChat(teacher.id)) == []
        assert await names(language_code="en") == ["start"]
        assert await bot.delete_my_commands(scope=BotCommandScopeChat(admin.id))
        assert await names(scope=BotCommandScopeChat(admin.id)) == [] and await names() == ["start", "quiz"]
    # The same scope is found whatever the order of its fields or the type of its chat_id.
    accepted(api, "setMyCommands", commands=commands(1), scope={"chat_id": str(teacher.id), "type": "chat"})
    assert accepted(api, "getMyCommands", scope={"type": "chat", "chat_id": teacher.id}) == commands(1)
    refused(api, "setMyCommands", "Bad Request: can't parse BotCommandScope: Unsupported type specified",
            commands=commands(1), scope={"type": "everyone"})
