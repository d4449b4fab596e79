"""How long each free-text field a person types may be: one table, one check, one message.

Every channel (Telegram, the web, uploads, the command line) goes through the core functions
that call too_long()/check(), so a 60,000-character title is refused wherever it is typed,
before it is stored and long before anything renders or splits it (issue 17).
"""

from __future__ import annotations

from knowledge import messages as M
from knowledge.errors import XuefaError

# field -> (the most characters, what the person calls it). Generous for real use, small enough
# that no reply built from them costs noticeable CPU.
LIMITS: dict[str, tuple[int, str]] = {
    "title": (100, M.FIELD_TITLE),  # a group session's title
    "laws": (500, M.FIELD_LAWS),  # what a group session studied
    "minutes": (2000, M.FIELD_MINUTES),  # a group session's minutes
    "attendees": (5000, M.FIELD_ATTENDEES),  # the names typed for a session (a whole school)
    "name": (40, M.FIELD_NAME),  # a person's name on the roster
    "unit": (60, M.FIELD_UNIT),  # a unit's name
    "question": (1000, M.FIELD_QUESTION),  # a question asked in the chat
    "stem": (500, M.FIELD_STEM),  # a question bank's stem
    "option": (200, M.FIELD_OPTION),  # one option of a bank question
    "explanation": (1000, M.FIELD_EXPLANATION),  # a bank question's explanation
    "citation": (100, M.FIELD_CITATION),  # a bank question's source
}


def limit(field: str) -> int:
    """Return the most characters a field may hold."""
    return LIMITS[field][0]


def too_long(field: str, text: str) -> str | None:
    """Return the reason a field's text is too long (in Chinese), or None when it fits."""
    most, label = LIMITS[field]
    if len(text) <= most:
        return None
    return M.FIELD_TOO_LONG.format(field=label, n=most, got=len(text))


def check(field: str, text: str) -> str:
    """Return the text when it fits its field, or raise XuefaError saying which field and how long."""
    reason = too_long(field, text)
    if reason is not None:
        raise XuefaError(reason)
    return text
