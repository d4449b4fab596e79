"""The one clock of a running xuefa: what time it is, and what day it is in the bureau's time zone.

Every part that needs the time asks a Clock: rounds, question choice, reports, binding, the
study-list choice and the store's timestamps. Tests pin one Clock and everything follows it.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


class Clock:
    """Tells the time (UTC, aware) and the bureau's local date; pinned to a moment in tests."""

    def __init__(self, tz: str = DEFAULT_TZ, pinned: datetime | None = None):
        self.tz = tz
        self.zone = ZoneInfo(tz)
        self._pinned: datetime | None = None
        if pinned is not None:
            self.pin(pinned)

    def pin(self, moment: datetime | None) -> None:
        """Stop the clock at a moment (an aware datetime), or let it run again with None."""
        if moment is not None and moment.tzinfo is None:
            raise ValueError("pin an aware datetime: a naive one has no place on the bureau's calendar")
        self._pinned = moment.astimezone(timezone.utc) if moment is not None else None

    def now(self) -> datetime:
        """Return the current moment in UTC."""
        return self._pinned if self._pinned is not None else datetime.now(timezone.utc)

    def local_now(self) -> datetime:
        """Return the current moment in the bureau's time zone."""
        return self.now().astimezone(self.zone)

    def today(self) -> date:
        """Return today's date in the bureau's time zone."""
        return self.local_now().date()

    def stamp(self) -> str:
        """Return now as the store's one time format: ISO 8601 UTC to the second."""
        return iso(self.now())

    def local(self, moment: datetime | str) -> datetime:
        """Return a stored (UTC) moment in the bureau's time zone."""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return moment.astimezone(self.zone)

    def local_text(self, moment: datetime | str) -> str:
        """Format a moment for people in the bureau's time zone: 2026-11-29 22:00."""
        return self.local(moment).strftime("%Y-%m-%d %H:%M")


def iso(moment: datetime) -> str:
    """Return an aware moment as the store's ISO UTC text."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
