"""A notice: what the core decided to tell someone, before any channel shapes it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    """What to tell people, in plain Chinese text, the same for every recipient of one send.

    kind names the ledger entry (round, reminder, unit_digest, unreachable, digest, review…);
    link is a path in the web app ("/quiz") that an adapter makes absolute with XUEFA_WEB_URL.
    A notice whose text names its recipient is personal and is never sent as one batch.
    """

    kind: str
    title: str
    text: str
    link: str = ""
    button: str = ""
    document: tuple[str, bytes] | None = None  # an attachment (file name, bytes) where the channel carries files
    personal: bool = False
