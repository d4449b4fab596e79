"""The platforms' staff directories, for a roster import: which configured channels can find an
account by mobile number (their adapter module has `lookup_by_mobile`), and a look-up the core's
knowledge.rosteraccounts.match_accounts can call from synchronous code (the CLI, an upload thread).
"""

from __future__ import annotations

import asyncio
import importlib
import logging

from bot.settings import ADAPTERS, Settings
from knowledge.rosteraccounts import AccountLookup, LookupFailed

log = logging.getLogger(__name__)


def _adapter(channel: str):
    try:
        return importlib.import_module(ADAPTERS[channel])
    except (KeyError, ModuleNotFoundError):  # configured, but its adapter is not in this build
        return None


def directory(settings: Settings) -> tuple[list[str], AccountLookup | None]:
    """Return the configured channels that look accounts up by mobile, and the look-up (None: none)."""
    channels = [c for c in settings.channels_configured if hasattr(_adapter(c), "lookup_by_mobile")]
    if not channels:
        return [], None

    def lookup(channel: str, phones: list[str]) -> dict[str, str]:
        try:
            # Called from a thread with no event loop running (the CLI; uploads run in worker threads).
            return asyncio.run(_adapter(channel).lookup_by_mobile(settings, phones))
        except Exception as exc:  # noqa: BLE001 - any failure of the platform: report, import the rest
            log.warning("looking up %d mobile numbers on %s failed: %s", len(phones), channel, type(exc).__name__)
            raise LookupFailed(channel) from None

    return channels, lookup
