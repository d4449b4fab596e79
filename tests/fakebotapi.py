"""Fake Telegram Bot API server for tests and benchmarks.

A stdlib ``ThreadingHTTPServer`` on 127.0.0.1 runs in a background thread, so it is
independent of the asyncio loop under test. Point PTB at it with
``ApplicationBuilder().token(TOKEN).base_url(api.base_url).base_file_url(api.base_file_url)``.

Like api.telegram.org, the fake refuses (HTTP 400, ``Bad Request: ...``) what breaks the Bot API's
documented limits, so a test fails where Telegram would refuse the message:

* ``text`` of sendMessage/editMessageText: non-empty, at most 4096 UTF-16 code units after entity
  parsing; ``caption``: at most 1024; ``parse_mode=HTML`` is parsed as Telegram's HTML parser does
  (TDLib's ``parse_html``): only the documented tags, properly closed and nested.
* Inline keyboards on every method: non-empty button text, ``callback_data`` of 1-64 bytes.
* sendPoll: question 1-300, 2-12 options of 1-100, quiz ``correct_option_ids`` in range, explanation
  at most 200 with at most 2 line feeds.
* answerCallbackQuery ``text`` at most 200; setMyCommands: at most 100 commands of 1-32
  ``[a-z0-9_]``, descriptions of 1-256.

With ``strict_html`` (the default) the fake also refuses what the documentation forbids but
Telegram's parser lets through as literal text: a ``&`` or ``>`` that is not part of a tag or of a
supported entity (``&nbsp;``, ``AT&T``, ``a > b``, ``&amp`` without ``;``). Telegram shows such text
verbatim, but the docs say it "must be replaced with the corresponding HTML entities".
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.parser import HeaderParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_TOKEN = "123:abc"
BOT_FIRST_NAME = "学法助手"
BOT_USERNAME = "xuefa_test_bot"

# Free-text parameters must stay strings even when they look like JSON ("123", "true").
_TEXT_PARAMS = frozenset({
    "text", "caption", "question", "explanation", "description", "title", "url", "action",
    "callback_query_id", "inline_message_id", "parse_mode", "secret_token", "ip_address",
    "short_description", "name", "language_code", "file_id",
})
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_MENTION_RE = re.compile(r"@[A-Za-z0-9_]{5,32}")
_HTML_SPECIAL_RE = re.compile(r"[&<>]")
_HTML_TAGS = frozenset({"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
                        "tg-emoji", "tg-time", "span", "pre", "code", "blockquote"})
_HTML_SPACES = " \t\r\n\x00\x0b"  # TDLib's is_space; NUL also stands for the end of the text
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# What Telegram trims from a message and counts as empty (TDLib fix_formatted_text/strip_empty_characters).
_BLANK = frozenset(" \n\r\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                   "\u200a\u202f\u205f\u2800\u3000\ufffc")
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]+")
_BOT_COMMAND_SCOPES = frozenset({"default", "all_private_chats", "all_group_chats", "all_chat_administrators",
                                 "chat", "chat_administrators", "chat_member"})
# Inline keyboard button fields that make a button do something besides sending callback_data.
_BUTTON_ACTIONS = ("url", "callback_game", "pay", "switch_inline_query", "switch_inline_query_current_chat",
                   "switch_inline_query_chosen_chat", "login_url", "web_app", "copy_text")
MAX_TEXT = 4096  # message text, UTF-16 code units after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes of UTF-8
MAX_CALLBACK_ANSWER = 200
MAX_POLL_QUESTION = 300
MAX_POLL_OPTION = 100
MIN_POLL_OPTIONS, MAX_POLL_OPTIONS = 2, 12
MAX_POLL_EXPLANATION, MAX_POLL_EXPLANATION_LINE_FEEDS = 200, 2
MAX_COMMANDS, MAX_COMMAND, MAX_COMMAND_DESCRIPTION = 100, 32, 256
Predicate = Callable[["Call"], bool]


@dataclass
class Call:
    """One request received by the fake server (``time`` is ``time.monotonic()``)."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    time: float
    status: int = 200  # 0 means the connection was dropped without a response
    result: Any = None  # a snapshot of the "result" the server answered with

    @property
    def ok(self) -> bool:
        """Tell whether the call was answered successfully."""
        return self.status == 200


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user that can send updates to the bot."""

    id: int
    first_name: str = "张老师"
    username: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the Bot API ``User`` object."""
        return {"id": self.id, "is_bot": False, "first_name": self.first_name,
                "language_code": "zh-hans", **({"username": self.username} if self.username else {})}

    def private_chat(self) -> dict[str, Any]:
        """Return the Bot API ``Chat`` object of the private chat with this user."""
        return {"id": self.id, "type": "private", "first_name": self.first_name,
                **({"username": self.username} if self.username else {})}


@dataclass(frozen=True)
class FakeChat:
    """A group or supergroup the bot is a member of."""

    id: int
    title: str = "学法交流群"
    type: str = "supergroup"

    def as_dict(self) -> dict[str, Any]:
        """Return the Bot API ``Chat`` object."""
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    mime_type: str | None
    file_name: str | None


@dataclass
class _Fault:
    status: int | str
    remaining: int
    delay: float
    retry_after: int = 1


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


class _HtmlError(Exception):
    """Why Telegram's HTML parser refuses a text, in its words (after "can't parse entities: ")."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: PTB's httpx pool reuses connections
    disable_nagle_algorithm = True  # headers and body are separate writes; avoid 40 ms stalls
    api: FakeBotAPI

    def setup(self) -> None:
        super().setup()
        self.api._track(self.connection, add=True)

    def handle(self) -> None:
        with contextlib.suppress(OSError):  # the client left, e.g. a cancelled long poll
            super().handle()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.api._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.api._dispatch(self)

    do_GET = do_POST

    def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        """Send a complete response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeBotAPI:
    """Fake Telegram Bot API server that records calls and injects updates."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, max_poll_wait: float = 1.0,
                 strict_html: bool = True) -> None:
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.strict_html = strict_html  # refuse a bare & or > too, see the module docstring
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self.calls: list[Call] = []
        self._cond = threading.Condition()  # guards all state below; RLock-based, reentrant
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[socket.socket, threading.Thread] = {}
        # Every handler thread, until it ends: one may still be closing its socket after finish().
        self._handlers: list[threading.Thread] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id: dict[Any, int] = collections.defaultdict(lambda: 1)
        self._messages: dict[tuple[Any, int], dict[str, Any]] = {}
        self._chats: dict[Any, dict[str, Any]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._polls: dict[str, dict[str, Any]] = {}
        self._votes: dict[str, dict[int, list[int]]] = {}
        self._queries: set[str] = set()
        self._commands: dict[str, list[dict[str, Any]]] = {}
        self._webhook: dict[str, Any] = {"url": ""}
        self._counter = 0
        self._rate_per_second: int | None = None
        self._rate_window: collections.deque[float] = collections.deque()
        self._blocked: set[Any] = set()
        self._faults: dict[str, list[_Fault]] = collections.defaultdict(list)
        self._methods = {name[5:].lower(): (name[5:], getattr(self, name))
                         for name in dir(self) if name.startswith("_api_")}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        """Start serving on a free loopback port in a background thread."""
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), type("Handler", (_Handler,), {"api": self}))
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="FakeBotAPI", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake long polls, close keep-alive connections and join all threads."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._cond:
            self._cond.notify_all()
            connections = dict(self._connections)
            handlers = list(self._handlers)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        deadline = time.monotonic() + 2
        for thread in [self._thread, *connections.values(), *handlers]:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._httpd = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """Return the bound TCP port."""
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """Return the ``base_url`` for PTB, which appends ``<TOKEN>/<method>``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the ``base_file_url`` for PTB."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        """Return the bot's ``User`` object as answered by getMe."""
        return {"id": self.bot_id, "is_bot": True, "first_name": BOT_FIRST_NAME,
                "username": BOT_USERNAME, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}

    # -- inspection --------------------------------------------------------------------------

    def calls_to(self, method: str, *, include_rejected: bool = False) -> list[Call]:
        """Return the recorded calls to ``method``, successful ones unless told otherwise."""
        with self._cond:
            return [c for c in self.calls if c.method == method and (include_rejected or c.ok)]

    def sent_messages(self, chat_id: Any = None) -> list[str]:
        """Return the texts of delivered sendMessage calls, optionally for one chat."""
        return [c.params.get("text", "") for c in self.calls_to("sendMessage")
                if chat_id is None or c.params.get("chat_id") == chat_id]

    def delivered(self, method: str) -> int:
        """Return how many calls to ``method`` were answered successfully."""
        return len(self.calls_to(method))

    @property
    def rejected(self) -> list[Call]:
        """Return the calls answered with an error or dropped."""
        with self._cond:
            return [c for c in self.calls if not c.ok]

    def wait_for(self, predicate_or_method: str | Predicate, timeout: float = 5, *,
                 count: int = 1) -> Call:
        """Block until ``count`` matching calls are recorded and return the ``count``-th."""
        if isinstance(predicate_or_method, str):
            predicate: Predicate = lambda c: c.method == predicate_or_method and c.ok  # noqa: E731
        else:
            predicate = predicate_or_method
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matches = [c for c in self.calls if predicate(c)]
                if len(matches) >= count:
                    return matches[count - 1]
                if (remaining := deadline - time.monotonic()) <= 0:
                    raise TimeoutError(f"{count} call(s) matching {predicate_or_method!r} not seen "
                                       f"in {timeout}s; got {[c.method for c in self.calls]}")
                self._cond.wait(remaining)

    async def wait_for_async(self, predicate_or_method: str | Predicate, timeout: float = 5, *,
                             count: int = 1) -> Call:
        """Run ``wait_for`` in a worker thread so the event loop under test keeps running."""
        return await asyncio.to_thread(self.wait_for, predicate_or_method, timeout, count=count)

    def clear(self) -> None:
        """Forget recorded calls and the rate-limit window; chats, messages and faults stay."""
        with self._cond:
            self.calls.clear()
            self._rate_window.clear()

    def message(self, chat_id: Any, message_id: int) -> dict[str, Any]:
        """Return a copy of the current version of a stored message, edits applied."""
        with self._cond:
            return json.loads(_dumps(self._messages[(chat_id, message_id)]))

    # -- fault injection ---------------------------------------------------------------------

    def rate_limit(self, per_second: int | None = 30) -> None:
        """Answer 429 to send* calls beyond ``per_second`` in any rolling second; None disables."""
        with self._cond:
            self._rate_per_second = per_second
            self._rate_window.clear()

    def block_user(self, chat_id: Any) -> None:
        """Answer 403 "bot was blocked by the user" to send* calls for ``chat_id``."""
        with self._cond:
            self._blocked.add(chat_id)

    def unblock_user(self, chat_id: Any) -> None:
        """Undo ``block_user``."""
        with self._cond:
            self._blocked.discard(chat_id)

    def fail_next(self, method: str, status: int | str = 500, n: int = 1, *,
                  delay: float = 6.0, retry_after: int = 1) -> None:
        """Fail the next ``n`` calls to ``method`` with an HTTP status, "timeout" or "disconnect".

        "timeout" holds the request for ``delay`` seconds (PTB's default read timeout is 5 s)
        and then drops the connection; "disconnect" drops it at once. A 429 asks the client to
        wait ``retry_after`` seconds, as Telegram's flood control does.
        """
        if isinstance(status, str) and status not in ("timeout", "disconnect"):
            raise ValueError(f"unknown fault {status!r}")
        with self._cond:
            self._faults[method.lower()].append(_Fault(status, n, delay, retry_after))

    # -- update injection --------------------------------------------------------------------

    def user(self, id: int, first_name: str = "张老师", username: str | None = None) -> FakeUser:  # noqa: A002
        """Return a user handle and register its private chat."""
        u = FakeUser(id, first_name, username)
        with self._cond:
            self._chats[id] = u.private_chat()
        return u

    def group(self, id: int = -1001234567890, title: str = "学法交流群",  # noqa: A002
              type: str = "supergroup") -> FakeChat:  # noqa: A002
        """Return a group chat handle and register the chat."""
        chat = FakeChat(id, title, type)
        with self._cond:
            self._chats[id] = chat.as_dict()
        return chat

    @property
    def last_update_id(self) -> int:
        """Return the id of the most recently injected update (0 before any)."""
        with self._cond:
            return self._next_update_id - 1

    def push_update(self, payload: dict[str, Any]) -> int:
        """Queue a raw update body (everything but ``update_id``) and return its update_id."""
        with self._cond:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id, **payload})
            self._cond.notify_all()
        return update_id

    def send_text(self, user: FakeUser, text: str, chat: FakeChat | None = None, *,
                  entities: list[dict[str, Any]] | None = None,
                  reply_to_message: Call | dict[str, Any] | None = None) -> dict[str, Any]:
        """Inject a text message (private chat unless ``chat``) and return the message.

        Without explicit ``entities``, bot_command and @mention entities are derived from the
        text like Telegram does.
        """
        msg = self._new_message(chat.as_dict() if chat else user.private_chat(), user.as_dict())
        msg["text"] = text
        if entities := (_auto_entities(text) if entities is None else entities):
            msg["entities"] = entities
        if reply_to_message is not None:
            msg["reply_to_message"] = self._resolve_message(reply_to_message)
        self.push_update({"message": msg})
        return msg

    def send_command(self, user: FakeUser, command_line: str, chat: FakeChat | None = None,
                     **kwargs: Any) -> dict[str, Any]:
        """Inject a "/command args" message carrying a bot_command entity."""
        if not _COMMAND_RE.match(command_line):
            raise ValueError(f"not a command: {command_line!r}")
        return self.send_text(user, command_line, chat, **kwargs)

    def press_button(self, user: FakeUser, message: Call | dict[str, Any],
                     callback_data: str) -> dict[str, Any]:
        """Inject a callback_query for a button on the bot's ``message`` and return it."""
        msg = self._resolve_message(message)
        with self._cond:
            self._counter += 1
            query_id = f"{self.bot_id}{self._counter:010d}"
            self._queries.add(query_id)
        query = {"id": query_id, "from": user.as_dict(), "message": msg,
                 "chat_instance": f"-{abs(msg['chat']['id'])}77", "data": callback_data}
        self.push_update({"callback_query": query})
        return query

    def answer_poll(self, user: FakeUser, poll_id: str, option_ids: Iterable[int]) -> dict[str, Any]:
        """Inject a poll_answer for a poll the bot sent and return it."""
        option_ids = list(option_ids)
        with self._cond:
            if poll_id not in self._polls:
                raise KeyError(f"unknown poll {poll_id!r}; known: {list(self._polls)}")
            poll = self._polls[poll_id]
            persistent = [poll["options"][i]["persistent_id"] for i in option_ids]
            self._votes[poll_id][user.id] = option_ids
            counts = collections.Counter(i for ids in self._votes[poll_id].values() for i in ids)
            for i, option in enumerate(poll["options"]):
                option["voter_count"] = counts[i]
            poll["total_voter_count"] = sum(1 for ids in self._votes[poll_id].values() if ids)
        answer = {"poll_id": poll_id, "user": user.as_dict(), "option_ids": option_ids,
                  "option_persistent_ids": persistent}
        self.push_update({"poll_answer": answer})
        return answer

    def send_document(self, user: FakeUser, filename: str, data: bytes,
                      mime_type: str = "application/octet-stream", chat: FakeChat | None = None,
                      caption: str | None = None) -> dict[str, Any]:
        """Inject a message with a document downloadable via getFile and return the message."""
        msg = self._new_message(chat.as_dict() if chat else user.private_chat(), user.as_dict())
        msg["document"] = _document(self._store_file(data, "documents", filename, mime_type))
        if caption:
            msg["caption"] = caption
        self.push_update({"message": msg})
        return msg

    # -- state helpers -----------------------------------------------------------------------

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._cond:
            if add:
                self._connections[conn] = threading.current_thread()
                self._handlers = [t for t in self._handlers if t.is_alive()] + [threading.current_thread()]
            else:
                self._connections.pop(conn, None)

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id not in self._chats:
            # Accept chats never injected, e.g. a teacher id taken from the project's database.
            self._chats[chat_id] = ({"id": chat_id, "type": "private", "first_name": "用户"}
                                    if chat_id > 0 else
                                    {"id": chat_id, "type": "supergroup", "title": "群组"})
        if chat_id not in self._chats:
            raise _ApiError(400, "Bad Request: chat not found")
        return self._chats[chat_id]

    def _new_message(self, chat: dict[str, Any], sender: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            self._chats.setdefault(chat["id"], chat)
            message_id = self._next_message_id[chat["id"]]
            self._next_message_id[chat["id"]] += 1
            msg = {"message_id": message_id, "from": sender, "chat": chat, "date": int(time.time())}
            self._messages[(chat["id"], message_id)] = msg
        return msg

    def _resolve_message(self, message: Call | dict[str, Any]) -> dict[str, Any]:
        msg = message.result if isinstance(message, Call) else message
        if not isinstance(msg, dict) or "message_id" not in msg:
            raise ValueError(f"not a message: {msg!r}")
        with self._cond:
            current = self._messages.get((msg["chat"]["id"], msg["message_id"]), msg)
            return json.loads(_dumps(current))

    def _store_file(self, content: bytes, folder: str, filename: str | None,
                    mime_type: str | None) -> _StoredFile:
        with self._cond:
            self._counter += 1
            n = self._counter
            suffix = filename.rsplit(".", 1)[-1] if filename and "." in filename else "bin"
            f = _StoredFile(f"BQACAgFake{n:06d}", f"AgFake{n:06d}", f"{folder}/file_{n}.{suffix}",
                            content, mime_type, filename)
            self._files[f.file_id] = f
        return f

    # -- HTTP --------------------------------------------------------------------------------

    def _dispatch(self, req: _Handler) -> None:
        url = urlsplit(req.path)
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        parts = unquote(url.path).split("/")  # PTB quotes file URLs, so ":" arrives as %3A
        if req.command == "GET" and len(parts) >= 4 and parts[1] == "file":
            return self._serve_file(req, parts)
        if len(parts) != 3 or not parts[1].startswith("bot"):
            return req.reply(404, _error(404, "Not Found"))
        token, method = parts[1][3:], parts[2]
        method = self._methods.get(method.lower(), (method,))[0]
        call = Call(method, {}, {}, time.monotonic())
        try:
            call.params, files = _parse_params(req, url.query, body)
        except (ValueError, UnicodeDecodeError) as exc:
            status, body = 400, _error(400, f"Bad Request: can't parse request body: {exc}")
            self._record(call, status, body)
        else:
            call.files = {name: f[:2] for name, f in files.items()}
            status, body = self._answer(call, token, files)
        if status == 0:
            req.close_connection = True  # drop the connection without any response
        else:
            req.reply(status, body)

    def _answer(self, call: Call, token: str, files: dict[str, tuple]) -> tuple[int, bytes]:
        """Decide and serialize the response to ``call``, then record it."""
        with self._cond:
            status, payload = self._check_rules(call, token)
            fault = self._take_fault(call.method) if status == 200 else None
            if fault is not None:
                status = 0 if isinstance(fault.status, str) else fault.status
                description = f"Too Many Requests: retry after {fault.retry_after}" if status == 429 else _phrase(status)
                payload = _error_obj(status, description, retry_after=fault.retry_after if status == 429 else 0)
            elif status == 200 and call.method != "getUpdates":
                try:
                    if "reply_markup" in call.params:  # every method that takes one, edits included
                        _check_markup(call.params["reply_markup"])
                    payload = {"ok": True, "result": self._methods[call.method.lower()][1](
                        call.params, files)}
                except _ApiError as exc:
                    status, payload = exc.status, _error_obj(exc.status, exc.description)
                if status == 200 and call.method.startswith("send"):
                    self._rate_window.append(time.monotonic())
            # Serialize under the lock: later calls mutate stored messages and polls.
            body = _dumps(payload)
        if status == 200 and call.method == "getUpdates":
            body = self._get_updates(call.params)
        if fault is not None and fault.status == "timeout":
            self._stopping.wait(fault.delay)
        self._record(call, status, body)
        return status, body

    def _record(self, call: Call, status: int, body: bytes) -> None:
        call.status = status
        call.result = json.loads(body)["result"] if status == 200 else None
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method.lower())
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    def _check_rules(self, call: Call, token: str) -> tuple[int, dict[str, Any]]:
        if token != self.token:
            return 401, _error_obj(401, "Unauthorized")
        if call.method.lower() not in self._methods:
            return 404, _error_obj(404, "Not Found: method not found")
        if call.method == "getUpdates" and self._webhook["url"]:
            return 409, _error_obj(409, "Conflict: can't use getUpdates method while webhook is "
                                        "active; use deleteWebhook to delete the webhook first")
        if not call.method.startswith("send"):
            return 200, {}
        if call.params.get("chat_id") in self._blocked:
            return 403, _error_obj(403, "Forbidden: bot was blocked by the user")
        if self._rate_per_second is not None:
            now = time.monotonic()
            while self._rate_window and now - self._rate_window[0] >= 1.0:
                self._rate_window.popleft()
            if len(self._rate_window) >= self._rate_per_second:
                return 429, _error_obj(429, "Too Many Requests: retry after 1", retry_after=1)
        return 200, {}

    def _get_updates(self, params: dict[str, Any]) -> bytes:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        allowed = params.get("allowed_updates")
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), self.max_poll_wait)
        with self._cond:
            while True:
                # Like Telegram, an offset confirms (drops) every update below it.
                self._updates = [u for u in self._updates if u["update_id"] >= offset and (
                    not allowed or any(k in allowed for k in u if k != "update_id"))]
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self._stopping.is_set():
                    return _dumps({"ok": True, "result": self._updates[:limit]})
                self._cond.wait(remaining)

    def _serve_file(self, req: _Handler, parts: list[str]) -> None:
        if parts[2] != f"bot{self.token}":
            return req.reply(401, _error(401, "Unauthorized"))
        path = "/".join(parts[3:])
        with self._cond:
            f = next((f for f in self._files.values() if f.file_path == path), None)
        if f is None:
            return req.reply(404, _error(404, "Not Found"))
        req.reply(200, f.content, f.mime_type or "application/octet-stream")

    # -- Bot API methods: called under the lock with decoded params --------------------------

    def _api_getUpdates(self, p: dict, files: dict) -> None:
        raise AssertionError("getUpdates long-polls outside the lock, see _get_updates")

    def _api_getMe(self, p: dict, files: dict) -> dict:
        return self.bot_user

    def _api_logOut(self, p: dict, files: dict) -> bool:
        return True

    _api_close = _api_sendChatAction = _api_logOut

    def _api_deleteWebhook(self, p: dict, files: dict) -> bool:
        self._webhook = {"url": ""}
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_setWebhook(self, p: dict, files: dict) -> bool:
        self._webhook = {"url": p.get("url", ""), "allowed_updates": p.get("allowed_updates")}
        return True

    def _api_getWebhookInfo(self, p: dict, files: dict) -> dict:
        info = {"url": self._webhook["url"], "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}
        if self._webhook.get("allowed_updates"):
            info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    @staticmethod
    def _commands_key(p: dict) -> str:
        scope = p.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        if not isinstance(scope, dict):
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope: BotCommandScope must be an Object")
        if scope.get("type") not in _BOT_COMMAND_SCOPES:
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope: Unsupported type specified")
        if scope["type"].startswith("chat") and scope.get("chat_id") in (None, ""):
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope: Empty chat_id specified")
        # The same scope is the same key whatever the order of its fields or the chat_id's type.
        scope = {k: str(v) for k, v in scope.items()}
        return json.dumps([scope, p.get("language_code") or ""], sort_keys=True, ensure_ascii=False)

    def _api_setMyCommands(self, p: dict, files: dict) -> bool:
        key = self._commands_key(p)
        self._commands[key] = _check_commands(p.get("commands"))
        return True

    def _api_getMyCommands(self, p: dict, files: dict) -> list:
        return self._commands.get(self._commands_key(p), [])

    def _api_deleteMyCommands(self, p: dict, files: dict) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def _api_getChat(self, p: dict, files: dict) -> dict:
        # ChatFullInfo requires these three fields in PTB 22.8.
        gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts",
                               "premium_subscription", "gifts_from_channels"), False)
        return {**self._chat(p.get("chat_id")), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts}

    def _bot_message(self, p: dict) -> dict:
        """Store a new message from the bot; call it only once the request has been validated."""
        msg = self._new_message(self._chat(p.get("chat_id")), self.bot_user)
        _set_markup(msg, p)
        reply_id = (p.get("reply_parameters") or {}).get("message_id", p.get("reply_to_message_id"))
        if target := self._messages.get((msg["chat"]["id"], reply_id)):
            msg["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
        return msg

    def _parse(self, text: Any, parse_mode: Any) -> str:
        """Return ``text`` as Telegram shows it: HTML parsed, or as sent without a parse mode."""
        text = "" if text is None else str(text)
        mode = str(parse_mode or "").lower()
        if mode in ("", "none", "markdown", "markdownv2"):  # Markdown is not parsed by the fake
            return text
        if mode != "html":
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        try:
            return _parse_html(text, strict=self.strict_html)
        except _HtmlError as exc:
            raise _ApiError(400, f"Bad Request: can't parse entities: {exc}") from None

    def _message_text(self, p: dict) -> str:
        """Validate the ``text`` of sendMessage or editMessageText and return it parsed."""
        if p.get("text") is None or p.get("text") == "":
            raise _ApiError(400, "Bad Request: message text is empty")
        text = self._parse(p["text"], p.get("parse_mode"))
        if _is_blank(text):
            raise _ApiError(400, "Bad Request: text must be non-empty")
        if _utf16_len(text) > MAX_TEXT:
            raise _ApiError(400, "Bad Request: message is too long")
        return text

    def _caption(self, p: dict) -> str | None:
        """Validate an optional ``caption`` and return it parsed."""
        if p.get("caption") is None:
            return None
        caption = self._parse(p["caption"], p.get("parse_mode"))
        if _utf16_len(caption) > MAX_CAPTION:
            raise _ApiError(400, "Bad Request: message caption is too long")
        return caption

    def _api_sendMessage(self, p: dict, files: dict) -> dict:
        text = self._message_text(p)
        msg = self._bot_message(p)
        _set_text(msg, p, "text", text)
        return msg

    def _edited(self, p: dict) -> dict:
        if p.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: inline messages are not supported by the fake")
        if (p.get("chat_id"), p.get("message_id")) not in self._messages:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return dict(self._messages[(p["chat_id"], p["message_id"])])

    def _store_edit(self, old: dict, new: dict) -> dict:
        if new == old:
            raise _ApiError(400, "Bad Request: message is not modified: specified new message "
                                 "content and reply markup are exactly the same as a current "
                                 "content and reply markup of the message")
        new["edit_date"] = int(time.time())
        self._messages[(new["chat"]["id"], new["message_id"])] = new
        return new

    def _api_editMessageText(self, p: dict, files: dict) -> dict:
        text = self._message_text(p)
        old = self._edited(p)
        new = dict(old)
        _set_text(new, p, "text", text)
        _set_markup(new, p)  # Telegram drops the keyboard unless the edit re-sends it
        return self._store_edit(old, new)

    def _api_editMessageReplyMarkup(self, p: dict, files: dict) -> dict:
        old = self._edited(p)
        new = dict(old)
        _set_markup(new, p)
        return self._store_edit(old, new)

    def _api_answerCallbackQuery(self, p: dict, files: dict) -> bool:
        if _utf16_len(str(p.get("text") or "")) > MAX_CALLBACK_ANSWER:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if p.get("callback_query_id") not in self._queries:
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired "
                                 "or query ID is invalid")
        return True

    def _input_file(self, p: dict, files: dict, field: str, folder: str) -> _StoredFile:
        ref = p.get(field)
        if isinstance(ref, str) and ref.startswith("attach://"):
            field = ref[len("attach://"):]
        if field in files:
            filename, content, mime = files[field]
            return self._store_file(content, folder, filename, mime)
        if isinstance(ref, str) and ref in self._files:
            return self._files[ref]
        if isinstance(ref, str) and ref:  # a URL or a file_id from elsewhere
            return self._store_file(b"", folder, ref.rsplit("/", 1)[-1], None)
        raise _ApiError(400, f"Bad Request: there is no {field} in the request")

    def _api_sendDocument(self, p: dict, files: dict) -> dict:
        caption = self._caption(p)
        f = self._input_file(p, files, "document", "documents")
        msg = self._bot_message(p)
        msg["document"] = _document(f)
        _set_text(msg, p, "caption", caption)
        return msg

    def _api_sendPhoto(self, p: dict, files: dict) -> dict:
        caption = self._caption(p)
        f = self._input_file(p, files, "photo", "photos")
        msg = self._bot_message(p)
        msg["photo"] = [{"file_id": f.file_id, "file_unique_id": f.file_unique_id,
                         "width": 800, "height": 800, "file_size": len(f.content)}]
        _set_text(msg, p, "caption", caption)
        return msg

    def _api_getFile(self, p: dict, files: dict) -> dict:
        f = self._files.get(str(p.get("file_id")))
        if f is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": f.file_id, "file_unique_id": f.file_unique_id,
                "file_size": len(f.content), "file_path": f.file_path}

    def _poll_text(self, text: Any, parse_mode: Any, limit: int, too_long: str) -> str:
        text = self._parse(text, parse_mode)
        if _is_blank(text):
            raise _ApiError(400, "Bad Request: text must be non-empty")
        if _utf16_len(text) > limit:
            raise _ApiError(400, f"Bad Request: {too_long}")
        return text

    def _poll_options(self, p: dict) -> list[str]:
        raw = p.get("options")
        if isinstance(raw, str):
            raise _ApiError(400, "Bad Request: can't parse options JSON object")
        if not isinstance(raw, list):
            raise _ApiError(400, "Bad Request: expected an Array of String as options")
        if not raw:
            raise _ApiError(400, "Bad Request: poll must have at least one answer option")
        if len(raw) > MAX_POLL_OPTIONS:
            raise _ApiError(400, f"Bad Request: poll can't have more than {MAX_POLL_OPTIONS} options")
        options = []
        for option in raw:
            if isinstance(option, dict) and isinstance(option.get("text"), str):
                text, mode = option["text"], option.get("text_parse_mode")
            elif isinstance(option, str):
                text, mode = option, None
            else:
                raise _ApiError(400, "Bad Request: expected an option to be of type String")
            options.append(self._poll_text(text, mode, MAX_POLL_OPTION,
                                           f"poll options length must not exceed {MAX_POLL_OPTION}"))
        return options

    def _quiz(self, p: dict, option_count: int) -> tuple[list[int], str]:
        """Validate a quiz's correct_option_ids and explanation; return them (explanation parsed)."""
        explanation = self._parse(p.get("explanation"), p.get("explanation_parse_mode"))
        correct = p.get("correct_option_ids")
        if correct is None and p.get("correct_option_id") is not None:
            correct = [p["correct_option_id"]]
        if isinstance(correct, str):
            raise _ApiError(400, "Bad Request: can't parse correct option identifiers JSON object")
        if not isinstance(correct, list | None):
            raise _ApiError(400, "Bad Request: expected an Array of correct option identifiers")
        correct = list(correct or [])
        if any(isinstance(i, bool) or not isinstance(i, int) for i in correct):
            raise _ApiError(400, "Bad Request: correct option identifier must be of type Number")
        if not correct:
            raise _ApiError(400, "Bad Request: correct quiz option list must be non-empty")
        if any(a >= b for a, b in itertools.pairwise(correct)):
            raise _ApiError(400, "Bad Request: correct quiz option list must be increasing")
        if any(not 0 <= i < option_count for i in correct):
            raise _ApiError(400, "Bad Request: wrong quiz correct_option_id")
        if _utf16_len(explanation) > MAX_POLL_EXPLANATION:
            raise _ApiError(400, f"Bad Request: poll explanation length must not exceed {MAX_POLL_EXPLANATION}")
        if explanation.count("\n") > MAX_POLL_EXPLANATION_LINE_FEEDS:
            raise _ApiError(400, "Bad Request: poll explanation must not contain more than "
                                 f"{MAX_POLL_EXPLANATION_LINE_FEEDS} line feeds")
        return correct, explanation

    def _api_sendPoll(self, p: dict, files: dict) -> dict:
        question = self._poll_text(p.get("question"), p.get("question_parse_mode"), MAX_POLL_QUESTION,
                                   f"poll question length must not exceed {MAX_POLL_QUESTION}")
        texts = self._poll_options(p)
        if p.get("type") not in (None, "", "regular", "quiz"):
            raise _ApiError(400, "Bad Request: unsupported poll type specified")
        is_quiz = p.get("type") == "quiz"
        correct, explanation = self._quiz(p, len(texts)) if is_quiz else (None, None)
        if len(texts) < MIN_POLL_OPTIONS:  # the docs' 2-12; Telegram's servers refuse one option
            raise _ApiError(400, "Bad Request: POLL_ANSWERS_INVALID")
        description = (self._parse(p["description"], p.get("description_parse_mode"))
                       if p.get("description") is not None else None)
        self._counter += 1
        poll_id = f"5{self._counter:018d}"
        # Bot API 10 / PTB 22.8 require persistent_id, allows_revoting and members_only.
        poll: dict[str, Any] = {
            "id": poll_id, "question": question,
            "options": [{"persistent_id": f"{poll_id}_{i}", "text": text, "voter_count": 0}
                        for i, text in enumerate(texts)],
            "total_voter_count": 0, "is_closed": False,
            "is_anonymous": p.get("is_anonymous", True), "type": p.get("type") or "regular",
            "allows_multiple_answers": bool(p.get("allows_multiple_answers")),
            "allows_revoting": p.get("allows_revoting", not is_quiz),
            "members_only": bool(p.get("members_only")),
        }
        if is_quiz:
            poll["correct_option_ids"] = correct
            if explanation:
                poll["explanation"] = explanation
        if description is not None:
            poll["description"] = description
        poll.update({k: p[k] for k in ("open_period", "close_date") if p.get(k) is not None})
        self._polls[poll_id] = poll
        self._votes[poll_id] = {}
        msg = self._bot_message(p)
        msg["poll"] = poll
        return msg

    def _api_stopPoll(self, p: dict, files: dict) -> dict:
        msg = self._messages.get((p.get("chat_id"), p.get("message_id")))
        if msg is None or "poll" not in msg:
            raise _ApiError(400, "Bad Request: message with poll to stop not found")
        msg["poll"]["is_closed"] = True
        return msg["poll"]


# -- module helpers --------------------------------------------------------------------------

def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _auto_entities(text: str) -> list[dict[str, Any]]:
    """Build the bot_command and mention entities Telegram would attach to ``text``."""
    entities, command_end = [], 0
    if m := _COMMAND_RE.match(text):
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(m.group())})
        command_end = m.end()  # "/cmd@bot" is one command entity, not a mention
    for m in _MENTION_RE.finditer(text, command_end):
        before = text[m.start() - 1] if m.start() else " "
        if before.isascii() and (before.isalnum() or before == "_"):
            continue  # "a@example.com" is not a mention
        entities.append({"type": "mention", "offset": _utf16_len(text[:m.start()]),
                         "length": _utf16_len(m.group())})
    return entities


def _decode_form_value(key: str, value: str) -> Any:
    """Undo PTB's form encoding, where non-string values are sent JSON-encoded."""
    if key in _TEXT_PARAMS or key.endswith("_parse_mode"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_params(req: _Handler, query: str, body: bytes) -> tuple[dict[str, Any], dict]:
    """Decode query string plus a form, JSON or multipart body into (params, files)."""
    params = {k: _decode_form_value(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    ctype = req.headers.get_content_type()
    if ctype == "multipart/form-data":
        form, files = _parse_multipart(body, req.headers.get_param("boundary") or "")
        return {**params, **form}, files
    if ctype == "application/json" and body:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return {**params, **data}, {}
    params.update((k, _decode_form_value(k, v))
                  for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params, {}


def _parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, Any], dict[str, tuple]]:
    """Split a multipart/form-data body into fields and (filename, bytes, mime) files."""
    if not boundary:
        raise ValueError("multipart body without boundary")
    params: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for part in (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part[2:].partition(b"\r\n\r\n")
        headers = HeaderParser().parsestr(head.decode("utf-8", "replace"))
        name = headers.get_param("name", header="content-disposition")
        filename = headers.get_filename()
        if filename is None:
            params[name] = _decode_form_value(name, content.decode("utf-8"))
        else:  # httpx applies HTML5 form escaping to quotes in file names
            files[name] = (filename.replace("%22", '"'), content, headers.get_content_type())
    return params, files


def _set_text(msg: dict, p: dict, key: str, parsed: str | None) -> None:
    """Store ``text`` or ``caption`` as validated and parsed (tags stripped, entities decoded).

    The fake builds no entities from HTML; explicit ``entities``/``caption_entities`` are echoed.
    """
    entities_key = "entities" if key == "text" else "caption_entities"
    if parsed is None:
        return
    msg.pop(key, None)
    msg.pop(entities_key, None)
    if _is_blank(parsed):
        return  # an empty caption: Telegram's message has none
    msg[key] = parsed
    if p.get(entities_key):
        msg[entities_key] = p[entities_key]


def _is_blank(text: str) -> bool:
    """Tell whether Telegram would find nothing left of ``text`` once trimmed."""
    return all(ch in _BLANK for ch in text)


def _html_entity(text: str, pos: int) -> tuple[int, int, bool]:
    """Decode the HTML entity at ``text[pos] == "&"`` as TDLib's decode_html_entity does.

    Return (code point, end position, ended with ";"), or code point 0 for no supported entity.
    """
    def at(k: int) -> str:
        return text[k] if k < len(text) else "\0"

    end, code = pos + 1, 0
    if at(pos + 1) == "#":  # numeric character reference
        end += 1
        if at(pos + 2) == "x":
            end += 1
            while at(end) in "0123456789abcdefABCDEF":
                code, end = code * 16 + int(at(end), 16), end + 1
        else:
            while "0" <= at(end) <= "9":
                code, end = code * 10 + int(at(end)), end + 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos, False
    else:
        while at(end).isascii() and at(end).isalpha():
            end += 1
        if text[pos + 1:end] not in _HTML_NAMED_ENTITIES:
            return 0, pos, False  # unsupported named entity: Telegram keeps it as text
        code = ord(_HTML_NAMED_ENTITIES[text[pos + 1:end]])
    if at(end) == ";":
        return code, end + 1, True
    return code, end, False


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def _parse_html(text: str, *, strict: bool = True) -> str:
    """Parse Telegram HTML like TDLib's ``parse_html`` and return the text without tags.

    Raise ``_HtmlError`` with Telegram's description (byte offsets count UTF-8 bytes) for an
    unsupported, unclosed or mis-nested tag. With ``strict``, also refuse the unescaped ``&`` and
    ``>`` the documentation forbids, which Telegram itself would show as typed.
    """
    def at(k: int) -> str:
        return text[k] if k < len(text) else "\0"

    def offset(k: int) -> int:
        return len(text[:k].encode("utf-8", "surrogatepass"))

    out: list[str] = []
    open_tags: list[tuple[str, str, int, int]] = []  # name, argument, unix date, len(out) at open
    surrogate = False
    i = 0
    while i < len(text):
        m = _HTML_SPECIAL_RE.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        if m.start() > i:
            out.append(text[i:m.start()])
        i = m.start()
        if text[i] == "&":
            code, end, closed = _html_entity(text, i)
            if code:
                if strict and not closed:
                    raise _HtmlError(f'HTML entity "{text[i:end]}" at byte offset {offset(i)} must end with ";"')
                surrogate |= 0xD800 <= code <= 0xDFFF
                out.append(chr(code))
                i = end
                continue
            if strict:
                word = re.match(r"&#?\w*;?", text[i:]).group()
                if len(word) > 2 and word.endswith(";"):
                    raise _HtmlError(f'Unsupported HTML entity "{word}" at byte offset {offset(i)}; only &lt; '
                                     "&gt; &amp; &quot; and numerical entities are supported")
                raise _HtmlError(f"Character '&' at byte offset {offset(i)} must be written &amp;")
            out.append("&")
            i += 1
            continue
        if text[i] == ">":
            if strict:
                raise _HtmlError(f"Character '>' at byte offset {offset(i)} must be written &gt;")
            out.append(">")
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != "/":  # a start tag
            while at(i) not in _HTML_SPACES and at(i) != ">":
                i += 1
            if at(i) == "\0":
                raise _HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
            name = _ascii_lower(text[begin + 1:i])
            if name not in _HTML_TAGS:
                raise _HtmlError(f'Unsupported start tag "{name}" at byte offset {offset(begin)}')
            argument, date = "", 0
            while at(i) != ">":
                while at(i) != "\0" and at(i) in _HTML_SPACES:
                    i += 1
                if at(i) == ">":
                    break
                attribute_begin = i
                while at(i) not in _HTML_SPACES and at(i) not in "=>/\"'":
                    i += 1
                attribute = text[attribute_begin:i]
                if not attribute:
                    raise _HtmlError(f'Empty attribute name in the tag "{name}" at byte offset {offset(begin)}')
                while at(i) != "\0" and at(i) in _HTML_SPACES:
                    i += 1
                if at(i) != "=":
                    if at(i) == "\0":
                        raise _HtmlError(f'Unclosed start tag "{name}" at byte offset {offset(begin)}')
                    if name == "blockquote" and attribute == "expandable":
                        argument = "1"
                    continue
                i += 1
                while at(i) != "\0" and at(i) in _HTML_SPACES:
                    i += 1
                if at(i) == "\0":
                    raise _HtmlError(f'Unclosed start tag "{name}" at byte offset {offset(begin)}')
                if at(i) not in "'\"":  # a name token
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = _ascii_lower(text[token_begin:i])
                    if at(i) not in _HTML_SPACES and at(i) != ">":
                        raise _HtmlError(f"Unexpected end of name token at byte offset {offset(token_begin)}")
                else:  # a string literal, where entities are decoded
                    quote, chars = at(i), []
                    i += 1
                    while at(i) != quote and at(i) != "\0":
                        if at(i) == "&":
                            code, end, _ = _html_entity(text, i)
                            if code:
                                chars.append(chr(code))
                                i = end
                                continue
                        chars.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(chars)
                if at(i) == "\0":
                    raise _HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
                if name == "a" and attribute == "href" or name == "tg-emoji" and attribute == "emoji-id":
                    argument = value
                elif name == "code" and attribute == "class" and value.startswith("language-"):
                    argument = value[len("language-"):]
                elif name == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value[len("tg-"):]
                elif name == "blockquote" and attribute == "expandable":
                    argument = "1"
                elif name == "tg-time" and attribute == "unix":
                    date = int(value) if re.fullmatch(r"[+-]?\d+", value) else 0
                elif name == "tg-time" and attribute == "format":
                    argument = value
            if name == "span" and argument != "spoiler":
                raise _HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}')
            open_tags.append((name, argument, date, len(out)))
            i += 1
            continue
        # an end tag
        if not open_tags:
            raise _HtmlError(f"Unexpected end tag at byte offset {offset(begin)}")
        while at(i) not in _HTML_SPACES and at(i) != ">":
            i += 1
        end_name = _ascii_lower(text[begin + 2:i])
        while at(i) != "\0" and at(i) in _HTML_SPACES:
            i += 1
        if at(i) != ">":
            raise _HtmlError(f"Unclosed end tag at byte offset {offset(begin)}")
        name, argument, date, opened_at = open_tags.pop()
        if end_name and end_name != name:
            raise _HtmlError(f'Unmatched end tag at byte offset {offset(begin)}, expected "</{name}>", '
                             f'found "</{end_name}>"')
        if len(out) > opened_at:  # Telegram checks the arguments of non-empty entities only
            if name == "tg-emoji" and not (re.fullmatch(r"-?\d+", argument) and int(argument)):
                raise _HtmlError("Invalid custom emoji identifier specified")
            if name == "tg-time" and argument not in ("r", "R") and set(argument) - set("tTdDwW"):
                raise _HtmlError("Invalid date format used")
        i += 1
    if open_tags:
        raise _HtmlError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    if surrogate:
        raise _HtmlError("Text contains invalid Unicode characters after decoding HTML entities, check for "
                         "unmatched surrogate code units")
    return "".join(out)


def _check_markup(markup: Any) -> None:
    """Refuse a reply_markup Telegram would refuse: inline buttons need text and 1-64 bytes of data."""
    if markup is None:
        return
    if isinstance(markup, str):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if not isinstance(markup, dict):
        raise _ApiError(400, "Bad Request: object expected as reply markup")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return
    if not isinstance(rows, list):
        raise _ApiError(400, 'Bad Request: field "inline_keyboard" must be of type Array')
    for row in rows:
        if not isinstance(row, list):
            raise _ApiError(400, 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be '
                                 "an Array of Arrays")
        for button in row:
            if not isinstance(button, dict):
                raise _ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                     "InlineKeyboardButton must be an Object")
            if not isinstance(button.get("text"), str):
                raise _ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                     'Can\'t find field "text"')
            data = button.get("callback_data")
            if data is not None and not isinstance(data, str):
                raise _ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                     'Field "callback_data" must be of type String')
            by_url = bool(button.get("url"))  # a URL wins: callback_data is then ignored
            if not by_url and not data and not any(k in button for k in _BUTTON_ACTIONS):
                raise _ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                     "Text buttons are unallowed in the inline keyboard")
            if not button["text"]:
                raise _ApiError(400, "Bad Request: inline keyboard button text must be non-empty")
            if not by_url and data and len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _check_commands(commands: Any) -> list[dict[str, Any]]:
    """Return setMyCommands' ``commands`` if Telegram would accept them, else refuse them."""
    if commands is None:
        return []
    if isinstance(commands, str):
        raise _ApiError(400, "Bad Request: can't parse commands JSON object")
    if not isinstance(commands, list):
        raise _ApiError(400, "Bad Request: expected an Array of BotCommand")
    for c in commands:
        if not isinstance(c, dict):
            raise _ApiError(400, "Bad Request: can't parse BotCommand: expected an Object")
        for field in ("command", "description"):
            if not isinstance(c.get(field), str):
                raise _ApiError(400, f'Bad Request: can\'t parse BotCommand: Can\'t find field "{field}"')
        if not c["command"].strip():
            raise _ApiError(400, "Bad Request: command must be non-empty")
        if _utf16_len(c["command"]) > MAX_COMMAND:
            raise _ApiError(400, f"Bad Request: command length must not exceed {MAX_COMMAND}")
        if not c["description"].strip():
            raise _ApiError(400, "Bad Request: command description must be non-empty")
        if _utf16_len(c["description"]) > MAX_COMMAND_DESCRIPTION:
            raise _ApiError(400, f"Bad Request: command description length must not exceed "
                                 f"{MAX_COMMAND_DESCRIPTION}")
    if len(commands) > MAX_COMMANDS:
        raise _ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
    if any(not _BOT_COMMAND_RE.fullmatch(c["command"]) for c in commands):
        raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
    return list(commands)


def _set_markup(msg: dict, p: dict) -> None:
    """Echo an inline keyboard; messages never carry reply keyboards."""
    msg.pop("reply_markup", None)
    markup = p.get("reply_markup")
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        msg["reply_markup"] = markup


def _document(f: _StoredFile) -> dict[str, Any]:
    d = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(f.content)}
    d.update({k: v for k, v in (("file_name", f.file_name), ("mime_type", f.mime_type)) if v})
    return d


def _error_obj(code: int, description: str, *, retry_after: int = 0) -> dict[str, Any]:
    obj: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after:
        obj["parameters"] = {"retry_after": int(retry_after)}
    return obj


def _error(code: int, description: str) -> bytes:
    return _dumps(_error_obj(code, description))


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
