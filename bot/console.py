"""The console channel: the same conversation over stdin and stdout, with line editing at a terminal."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from bot.conversation import Caller, Conversation
from bot.reply import Plain, Reply
from bot.services import Services
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.members import Member
from knowledge.private import write_private


class Console:
    """Reads lines, answers them; numbers pick the buttons of the last reply."""

    def __init__(self, services: Services, member: Member | None = None, out: TextIO | None = None):
        self.conversation = Conversation(services, Plain())
        # Without --as, the console speaks as the operator at the server: the owner of the database.
        actor = Actor.of(member) if member is not None else Actor.operator(M.CONSOLE_USER)
        self.caller = Caller(actor=actor, channel="console")
        self.out = out or sys.stdout
        self.actions: list[str] = []
        self.exports = services.settings.data_dir / "exports"

    def greet(self) -> None:
        """Print the banner and who the console speaks as."""
        actor = self.caller.actor
        print(M.CONSOLE_BANNER, file=self.out)
        if actor.member is None:
            print(M.CONSOLE_ANONYMOUS, file=self.out)
        else:
            member = actor.member
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
        files = []
        if reply.document is not None:
            files.append(reply.document)
        if reply.photo is not None:
            files.append(((reply.caption or "chart") + ".png", reply.photo))
        # Reports carry names and phone numbers: readable by the owner only.
        return [write_private(self.exports / name, data) for name, data in files]

    def run(self, stream: TextIO) -> int:
        """Read until end of input; return the exit status."""
        self.greet()
        interactive = stream.isatty()
        if interactive:
            import readline  # noqa: F401 - importing it gives input() line editing and history

        while True:
            if interactive:
                try:
                    line = input("> ")
                except EOFError:
                    print(file=self.out)
                    return 0
            else:
                line = stream.readline()
                if not line:
                    return 0
            reply = self.handle(line)
            if reply is not None:
                self.show(reply)


def has_input(stream: TextIO) -> bool:
    """Tell whether a console on this stream has someone or something to read from.

    A terminal or piped input does; /dev/null (a container started without -it) does not, and a
    console there would read end-of-input at once and exit 0 as if all went well.
    """
    try:
        if stream.isatty():
            return True
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return True  # not a real file (tests pass a StringIO): it holds whatever it was given
    import stat

    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode)
