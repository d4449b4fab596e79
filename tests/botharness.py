"""Run the real xuefa Application against the fake Bot API and wait for each update to be handled."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.services import Services, build_services
from bot.settings import Settings
from knowledge.clock import Clock
from knowledge.members import parse_roster
from knowledge.sources import load_files
from knowledge.store import Repository
from knowledge.studylists import parse_study_lists
from tests.fakebotapi import Call, FakeBotAPI, FakeUser

DONE_GROUP = 10_000  # after every real handler group
STUDY_LIST = (
    "quarters:\n  - id: T-Q1\n    title: 测试季度学法清单\n    start: 2000-01-01\n    end: 2099-12-31\n    laws:\n"
    "      - file: teachers-law.md\n        focus:\n          chapter: 第二章 权利和义务\n"
    "      - file: compulsory-education-law.md\n"
)


def bind(repository: Repository, staff_no: str, user_id: int) -> None:
    """Bind a member's Telegram account (user id = private chat id), as a used code would."""
    member = repository.find_members(staff_no)[0]
    repository.bind_account(member.id, "telegram", str(user_id), str(user_id), "code", f"account-{user_id}")


def bot_services(folder, shared, api: FakeBotAPI, roster: str, clock: Clock | None = None) -> Services:
    """Build services for a bot test: two laws, a study list spanning the century, a roster, the fake API."""
    settings = Settings(
        telegram_token="123:abc", telegram_base_url=api.base_url, telegram_base_file_url=api.base_file_url,
        data_dir=folder, db=folder / "bot.db", _env_file=None,
    )
    clock = clock or Clock(settings.tz)
    repository = Repository(settings.db_path, clock)
    parsed, _ = load_files([shared / "laws" / name for name in ("teachers-law.md", "compulsory-education-law.md")])
    repository.import_laws([p.law for p in parsed])
    (folder / "list.yaml").write_text(STUDY_LIST, encoding="utf-8")
    repository.save_study_lists(parse_study_lists(folder / "list.yaml", repository))
    (folder / "roster.csv").write_text(roster, encoding="utf-8")
    rows, _ = parse_roster(folder / "roster.csv")
    repository.import_roster(rows)
    return build_services(settings, repository, clock, load_index=False)


class BotHarness:
    """Drives a running Application: inject an update, wait until it was handled, read the replies."""

    def __init__(self, api: FakeBotAPI, application: Application):
        self.api = api
        self.application = application
        self.handled: set[int] = set()
        self._changed = asyncio.Event()

    async def _mark(self, update: Update, context) -> None:
        self.handled.add(update.update_id)
        self._changed.set()

    async def __aenter__(self) -> BotHarness:
        self.application.add_handler(TypeHandler(Update, self._mark), group=DONE_GROUP)
        await self.application.initialize()
        if self.application.post_init:
            await self.application.post_init(self.application)
        await self.application.start()
        await self.application.updater.start_polling(poll_interval=0, timeout=1)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.application.updater.stop()
        await self.application.stop()
        if self.application.post_shutdown:
            await self.application.post_shutdown(self.application)
        await self.application.shutdown()

    async def handled_update(self, update_id: int, timeout: float = 30) -> None:
        """Wait until the application has run every handler for an update."""
        async def wait() -> None:
            while update_id not in self.handled:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    async def replies_to(self, inject, chat_id: int) -> list[Call]:
        """Inject an update, wait for it to be handled, return the messages sent to the chat since."""
        before = len(self.api.calls)
        inject()
        await self.handled_update(self.api.last_update_id)
        return [
            call for call in self.api.calls[before:]
            if call.ok and call.params.get("chat_id") == chat_id and call.method in ("sendMessage", "editMessageText")
        ]

    async def text(self, user: FakeUser, text: str, chat=None) -> list[str]:
        """Send text (or a /command) as a user; return the texts the bot answered with."""
        chat_id = chat.id if chat else user.id
        calls = await self.replies_to(lambda: self.api.send_text(user, text, chat), chat_id)
        return [call.params["text"] for call in calls]

    async def press(self, user: FakeUser, message: Call, data: str) -> list[Call]:
        """Press an inline button on one of the bot's messages; return what the bot sent or edited."""
        return await self.replies_to(lambda: self.api.press_button(user, message, data), user.id)

    async def upload(self, user: FakeUser, filename: str, data: bytes, caption: str | None = None) -> list[str]:
        """Send a document as a user; return the texts the bot answered with."""
        calls = await self.replies_to(lambda: self.api.send_document(user, filename, data, caption=caption), user.id)
        return [call.params["text"] for call in calls]

    def last_message_to(self, chat_id: int) -> Call:
        """Return the last sendMessage call to a chat."""
        return [c for c in self.api.calls_to("sendMessage") if c.params.get("chat_id") == chat_id][-1]
