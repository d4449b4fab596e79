"""The port every push channel implements: send one channel-neutral notice to some addresses.

The core decides who gets which notice (knowledge.outreach); bot.outreach claims each delivery in
the ledger, picks the member's channel and calls Channel.send; an adapter (bot/telegram, bot/wecom,
bot/dingtalk) only sends and says, per address, what happened. A fifth channel is one more
adapter implementing this Protocol, and one more entry in the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from knowledge.notices import Notice

__all__ = ["Channel", "Notice", "Outcome", "Sent", "absolute"]

Outcome = Literal["sent", "blocked", "failed"]


@dataclass(frozen=True)
class Sent:
    """One address's outcome: sent; blocked (the platform says this person cannot be reached: left,
    blocked the app, unknown id); or failed (a transient error: try again later)."""

    outcome: Outcome
    error: str = ""


class Channel(Protocol):
    """A push channel: its name in the accounts table, how many addresses one call carries, how many
    calls may be in flight at once, and send."""

    name: str
    batch_size: int
    concurrency: int

    async def send(self, addresses: Sequence[str], notice: Notice) -> dict[str, Sent]:
        """Send the notice to every address (at most batch_size), pacing itself within the platform's
        limits; return one outcome per address."""
        ...

    async def close(self) -> None:
        """Release the HTTP client."""
        ...


def absolute(web_url: str, link: str) -> str:
    """Make a web-app path absolute with XUEFA_WEB_URL ("/quiz" → "https://host/quiz"), for the
    platforms whose messages carry a link (WeCom, DingTalk)."""
    if link.startswith(("http://", "https://")):
        return link
    return web_url.rstrip("/") + "/" + link.lstrip("/")
