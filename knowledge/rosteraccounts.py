"""A roster's platform accounts: the optional columns 企业微信账号 and 钉钉账号 (the platform's
userid), and for a row that leaves one empty, the account the platform finds by the row's 手机.

The core decides which rows need a look-up and what the import reports; the look-up itself is
the channel adapter's (bot.directory passes it in as an AccountLookup), so no platform is named here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from knowledge import messages as M
from knowledge.errors import XuefaError
from knowledge.members import RosterRow
from knowledge.store import Repository

# Both platforms' userids: letters, digits and _ - . @, at most 64 (WeCom documents exactly this
# for a userid; DingTalk's are shorter and of the same characters).
_ACCOUNT = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
ACCOUNT_COLUMNS = M.ROSTER_ACCOUNT_COLUMNS  # channel -> column title
# channel, phones -> {phone: account}; a number the platform does not know is left out.
AccountLookup = Callable[[str, list[str]], dict[str, str]]


class LookupFailed(XuefaError):
    """A platform could not be asked (network, credentials); the import goes on without it."""


def read_accounts(values: dict[str, str], seen: dict[tuple[str, str], int], number: int
                  ) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """Return a row's (channel, account) pairs, or the reason the row is wrong."""
    found = []
    for channel, column in ACCOUNT_COLUMNS.items():
        value = values.get(column, "").strip()
        if not value:
            continue
        if not _ACCOUNT.match(value):
            return (), M.ROSTER_ACCOUNT_BAD.format(column=column, value=value[:80])
        if (channel, value.lower()) in seen:
            return (), M.ROSTER_ACCOUNT_TAKEN.format(value=value)
        found.append((channel, value))
    for channel, value in found:
        seen[(channel, value.lower())] = number
    return tuple(found), None


@dataclass
class AccountsReport:
    """Accounts a roster import bound, and per channel the rows it could not match, with why."""

    bound: Counter = field(default_factory=Counter)
    unmatched: dict[str, list[tuple[RosterRow, str]]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        if self.bound:
            channels = "、".join(f"{M.CHANNEL_LABELS[c]} {n} 个" for c, n in self.bound.items())
            out.append(M.ROSTER_ACCOUNTS_BOUND.format(n=sum(self.bound.values()), channels=channels))
        for channel, rows in self.unmatched.items():
            if rows:
                out.append(M.ROSTER_ACCOUNT_UNMATCHED.format(n=len(rows), channel=M.CHANNEL_LABELS[channel]))
                out += [M.ROSTER_ACCOUNT_LINE.format(row=row.row, name=row.name, staff_no=row.staff_no, reason=why)
                        for row, why in rows]
        return out


def match_accounts(
    repository: Repository, rows: list[RosterRow], channels: Iterable[str], lookup: AccountLookup | None
) -> tuple[list[RosterRow], AccountsReport]:
    """Fill in, on each channel given, the account of every row that names none and whose member
    holds none yet, from the row's 手机 through lookup; return the rows and what to report.

    Only numbers from the roster are asked, each once: WeCom blocks its look-up for a day after
    too many numbers it does not know.
    """
    report = AccountsReport()
    rows = list(rows)
    for channel in channels if lookup is not None else ():
        wanted = []
        for index, row in enumerate(rows):
            if any(c == channel for c, _ in row.accounts) or _holds(repository, row.staff_no, channel):
                continue
            if not row.phone:
                report.unmatched.setdefault(channel, []).append((row, M.ROSTER_ACCOUNT_NO_PHONE))
            else:
                wanted.append(index)
        if not wanted:
            continue
        label = M.CHANNEL_LABELS[channel]
        try:
            found = lookup(channel, [rows[i].phone for i in wanted])
        except LookupFailed:
            report.unmatched.setdefault(channel, []).extend(
                (rows[i], M.ROSTER_ACCOUNT_LOOKUP_FAILED.format(channel=label)) for i in wanted)
            continue
        for i in wanted:
            account = found.get(rows[i].phone)
            if account:
                rows[i] = replace(rows[i], accounts=(*rows[i].accounts, (channel, account)))
            else:
                report.unmatched.setdefault(channel, []).append(
                    (rows[i], M.ROSTER_ACCOUNT_PHONE_UNKNOWN.format(phone=rows[i].phone, channel=label)))
    report.bound.update(channel for row in rows for channel, _ in row.accounts)
    return rows, report


def _holds(repository: Repository, staff_no: str, channel: str) -> bool:
    member = next((m for m in repository.find_members(staff_no) if m.staff_no == staff_no), None)
    return member is not None and repository.account(member.id, channel) is not None
