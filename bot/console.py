"""The console channel: the same conversation over stdin and stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.conversation import Caller, Conversation
from bot.render import Plain, Reply
from bot.services import Services
from knowledge import messages as M
from knowledge.members import Member

CONSOLE_MEMBER = Member(id=None, staff_no="console", name=M.CONSOLE_USER, unit=M.CONSOLE_UNIT, role="bureau_admin")


class Console:
    """Reads lines, answers them; numbers pick the buttons of the last reply."""

    def __init__(self, services: Services, member: Member | None = None, out: TextIO | None = None):
        self.conversation = Conversation(services, Plain())
        self.caller = Caller(member=member or CONSOLE_MEMBER, channel="console")
        self.out = out or sys.stdout
        self.actions: list[str] = []
        self.exports = services.settings.data_dir / "exports"

    def greet(self) -> None:
        """Print the banner and who the console speaks as."""
        member = self.caller.member
        print(M.CONSOLE_BANNER, file=self.out)
        if member is CONSOLE_MEMBER:
            print(M.CONSOLE_ANONYMOUS, file=self.out)
        else:
            print(M.CONSOLE_AS.format(name=member.name, unit=member.unit, role=member.role_label), file=self.out)

    def handle(self, line: str) -> Reply | None:
        """Answer one line of input."""
        line = line.strip()
        if not line:
            return None
        if line.isdigit() and 0 < int(line) <= len(self.actions):
            return self.conversation.handle_action(self.caller, self.actions[int(line) - 1])
        if line.startswith("/"):
            name, _, args = line[1:].partition(" ")
            return self.conversation.handle_command(self.caller, name.lower(), args)
        return self.conversation.handle_text(self.caller, line)

    def show(self, reply: Reply) -> None:
        """Print a reply, save its files under the data directory, and number its buttons."""
        print("\n\n".join(reply.parts), file=self.out)
        saved = self._save_files(reply)
        if saved:
            print(M.STATS_FILES.format(files="、".join(str(path) for path in saved)), file=self.out)
        self.actions = [button.action for row in reply.buttons for button in row]
        if self.actions:
            print(M.CONSOLE_BUTTONS, file=self.out)
            labels = [button.label for row in reply.buttons for button in row]
            for n, label in enumerate(labels, 1):
                print(f"  [{n}] {label}", file=self.out)
        print(file=self.out)

    def _save_files(self, reply: Reply) -> list[Path]:
        folder = self.exports
        files = []
        if reply.document is not None:
            files.append((reply.document[0], reply.document[1]))
        if reply.photo is not None:
            files.append(((reply.caption or "chart") + ".png", reply.photo))
        saved = []
        for name, data in files:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_bytes(data)
            saved.append(path)
        return saved

    def run(self, stream: TextIO) -> int:
        """Read until end of input; return the exit status."""
        self.greet()
        interactive = stream.isatty()
        while True:
            if interactive:
                print("> ", end="", file=self.out, flush=True)
            line = stream.readline()
            if not line:
                return 0
            reply = self.handle(line)
            if reply is not None:
                self.show(reply)
