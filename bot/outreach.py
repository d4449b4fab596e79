"""Sending what the core decided: each member's notice on their preferred channel, exactly once.

knowledge.outreach says who gets which notice (a Batch); this module routes each member to one
channel (the deployment's preference order, XUEFA_PUSH_CHANNELS, over the member's reachable
accounts), claims the delivery in the outbox just before the send, and records what the
channel said after it. A crash leaves claimed rows 'sending': the next run sends them again,
so nobody is skipped; batching channels (WeCom, DingTalk) have the platform drop such a repeat
(WeCom's duplicate check, DingTalk's same-content rule), and Telegram repeats at most the sends
that were in flight. A member blocked on one channel is tried on the next.
"""

from __future__ import annotations

import asyncio
import collections
import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.channels import Channel, Sent
from bot.services import Services
from bot.settings import ADAPTERS, GROUP_ADAPTERS
from knowledge import outreach
from knowledge.members import Account, Member
from knowledge.notices import Notice
from knowledge.outreach import BLOCKED, NO_ACCOUNT, WEB_ONLY, Batch, GroupNotice

log = logging.getLogger(__name__)
MAX_TRIES = 3  # a delivery that failed this often is left for the unit admin
WEB = "web"  # the web app: people see notices when they open it, nothing is pushed


@dataclass
class Unreached:
    """A member a notice could not reach, and why (an outbox error code)."""

    member: Member
    error: str

    @property
    def reason(self) -> str:
        """Say why in Chinese."""
        return outreach.unreached_reason(self.error)


@dataclass
class OutreachReport:
    """What one delivery run of one batch did."""

    kind: str
    subject: str
    sent: int = 0
    by_channel: collections.Counter = field(default_factory=collections.Counter)
    unreached: list[Unreached] = field(default_factory=list)  # no channel, or blocked on all of them
    failed: list[Unreached] = field(default_factory=list)  # a transient error: the next run tries again
    skipped: int = 0  # delivered by someone else meanwhile
    left: int = 0  # not tried because the run was stopped

    @property
    def stopped(self) -> bool:
        """Tell whether the run was stopped before it got through everyone."""
        return self.left > 0

    @property
    def blocked(self) -> list[Unreached]:
        """Return those who refused on every channel they have."""
        return [u for u in self.unreached if u.error.startswith(BLOCKED)]

    @property
    def unbound(self) -> list[Unreached]:
        """Return those with no account on any push channel."""
        return [u for u in self.unreached if not u.error.startswith(BLOCKED)]


class Outreach:
    """Delivers batches over the deployment's push channels, recording every delivery in the outbox."""

    def __init__(
        self, services: Services, channels: Mapping[str, Channel], preferred: Sequence[str] | None = None,
        max_tries: int = MAX_TRIES, keep_going: Callable[[], bool] = lambda: True,
    ):
        self.services = services
        self.channels = dict(channels)
        order = list(preferred or ())
        self.preferred = [name for name in order if name in self.channels]
        self.preferred += [name for name in self.channels if name not in self.preferred]
        self.max_tries = max_tries
        self.keep_going = keep_going  # e.g. "the bot is still running": a service shutting down stops
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        """Stop taking new members; the sends in flight finish and are recorded."""
        self.stopping.set()

    def _going(self) -> bool:
        return not self.stopping.is_set() and self.keep_going()

    # --- routing ----------------------------------------------------------------------

    def route(self, accounts: list[Account], tried: set[str], retry_blocked: bool) -> Account | str:
        """Return the account to send on, or the reason there is none (an outbox error code)."""
        by_channel = {a.channel: a for a in accounts}
        for name in self.preferred:
            account = by_channel.get(name)
            if account is not None and account.reachable and name not in tried:
                return account
        blocked = [by_channel[n] for n in self.preferred if n in by_channel and not by_channel[n].reachable]
        if retry_blocked:
            for account in blocked:
                if account.channel not in tried:
                    return account
        if blocked or tried:
            return f"{BLOCKED}:{(blocked[0].channel if blocked else sorted(tried)[0])}"
        if WEB in by_channel:
            return WEB_ONLY
        return NO_ACCOUNT

    # --- delivering -------------------------------------------------------------------

    async def deliver(self, batch: Batch) -> OutreachReport:
        """Send a batch to every member not yet reached; safe to run again after a crash."""
        repository = self.services.repository
        report = OutreachReport(batch.kind, batch.subject)
        await asyncio.to_thread(repository.queue_notices, batch.kind, batch.subject, [m.id for m in batch.members])
        open_ = {d.member_id for d in await asyncio.to_thread(
            repository.open_deliveries, batch.kind, batch.subject, self.max_tries)}
        members = [m for m in batch.members if m.id in open_]
        accounts = await asyncio.to_thread(repository.accounts_of, [m.id for m in members])
        tried: dict[int, set[str]] = {m.id: set() for m in members}
        pending = members
        while pending and self._going():
            plan: dict[str, list[tuple[Member, Account]]] = collections.defaultdict(list)
            for member in pending:
                choice = self.route(accounts.get(member.id, []), tried[member.id], batch.retry_blocked)
                if isinstance(choice, str):
                    await asyncio.to_thread(
                        repository.mark_delivery, batch.kind, batch.subject, member.id, "unreachable"
                        if not choice.startswith(BLOCKED) else "blocked", choice)
                    report.unreached.append(Unreached(member, choice))
                else:
                    plan[choice.channel].append((member, choice))
            results = await asyncio.gather(*(
                self._send_on(self.channels[name], batch, targets, report) for name, targets in plan.items()
            ))
            pending = []
            for bounced in results:
                for member, account in bounced:
                    tried[member.id].add(account.channel)
                    accounts[member.id] = [
                        a if a.channel != account.channel else Account(
                            a.member_id, a.channel, a.external_id, a.address, False, a.source)
                        for a in accounts.get(member.id, [])
                    ]
                    pending.append(member)
        report.left += len(pending)  # stopped with these still to route
        return report

    async def _send_on(
        self, channel: Channel, batch: Batch, targets: list[tuple[Member, Account]], report: OutreachReport
    ) -> list[tuple[Member, Account]]:
        """Send to these members on one channel; return those who refused it (to try elsewhere)."""
        if channel.batch_size > 1:
            groups: list[tuple[Notice, list[tuple[Member, Account]]]] = [
                (batch.notice(None), targets[i:i + channel.batch_size])
                for i in range(0, len(targets), channel.batch_size)
            ]
        else:
            groups = [(batch.notice(member), [(member, account)]) for member, account in targets]
        queue = collections.deque(groups)
        bounced: list[tuple[Member, Account]] = []

        async def worker() -> None:
            while queue and self._going():
                notice, group = queue.popleft()
                bounced.extend(await self._send_group(channel, batch, notice, group, report))

        workers = max(1, getattr(channel, "concurrency", 1))
        async with asyncio.TaskGroup() as tasks:
            for _ in range(min(workers, len(groups))):
                tasks.create_task(worker())
        report.left += sum(len(group) for _, group in queue)
        return bounced

    async def _send_group(
        self, channel: Channel, batch: Batch, notice: Notice, group: list[tuple[Member, Account]],
        report: OutreachReport,
    ) -> list[tuple[Member, Account]]:
        repository = self.services.repository
        claimed = []
        for member, account in group:
            if await asyncio.to_thread(repository.claim_delivery, batch.kind, batch.subject, member.id, channel.name):
                claimed.append((member, account))
            else:
                report.skipped += 1
        if not claimed:
            return []
        addresses = [account.destination for _, account in claimed]
        try:
            outcomes = await channel.send(addresses, notice)
        except Exception as exc:  # noqa: BLE001 - one channel's failure must not stop the others
            log.warning("%s: sending %s failed: %s", channel.name, batch.kind, exc)
            outcomes = {address: Sent("failed", str(exc)[:200]) for address in addresses}
        bounced = []
        for member, account in claimed:
            sent = outcomes.get(account.destination, Sent("failed", "no outcome"))
            if sent.outcome == "sent":
                await asyncio.to_thread(repository.mark_delivery, batch.kind, batch.subject, member.id, "sent")
                if not account.reachable:
                    await asyncio.to_thread(repository.set_account_reachable, member.id, channel.name, True)
                report.sent += 1
                report.by_channel[channel.name] += 1
            elif sent.outcome == "blocked":
                await asyncio.to_thread(repository.set_account_reachable, member.id, channel.name, False)
                await asyncio.to_thread(repository.mark_delivery, batch.kind, batch.subject, member.id, "pending",
                                        f"{BLOCKED}:{channel.name}")
                bounced.append((member, account))
            else:
                await asyncio.to_thread(repository.mark_delivery, batch.kind, batch.subject, member.id, "failed",
                                        sent.error[:200])
                report.failed.append(Unreached(member, sent.error[:200]))
        return bounced


async def open_channels(services: Services, telegram_bot=None) -> dict[str, Channel]:
    """Open every push channel configured, in the order of preference (the running bot's client for Telegram)."""
    channels: dict[str, Channel] = {}
    for name in services.settings.push_configured:
        module = importlib.import_module(ADAPTERS[name])
        bot = telegram_bot if name == "telegram" else None
        channels[name] = await module.open_channel(services, bot)
    return channels


async def close_channels(channels: Mapping[str, Channel]) -> None:
    """Close every channel's client."""
    for channel in channels.values():
        try:
            await channel.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            log.warning("closing %s failed", channel.name, exc_info=True)


def outreach_for(services: Services, channels: Mapping[str, Channel], **kwargs) -> Outreach:
    """Return an Outreach over these channels in the deployment's order of preference."""
    return Outreach(services, channels, services.settings.push_configured, **kwargs)


async def deliver_to_groups(services: Services, notices: Sequence[GroupNotice]) -> int:
    """Send each unit's group notice once (a failed one again next run, up to MAX_TRIES); return how many went."""
    repository = services.repository
    sent = 0
    for item in notices:
        group = item.group
        name = GROUP_ADAPTERS.get(group.channel)
        if name is None:
            continue
        if not await asyncio.to_thread(
                repository.claim_group_notice, item.kind, item.subject, group.unit_id, group.channel, MAX_TRIES):
            continue
        try:
            result = await importlib.import_module(name).send_to_group(
                services.settings, group.address, group.secret, item.notice)
        except Exception as exc:  # noqa: BLE001 - one group's failure must not stop the others
            result = Sent("failed", type(exc).__name__)
        status = "sent" if result.outcome == "sent" else "failed"
        if status == "failed":
            log.warning("group notice to %s on %s failed: %s", group.unit, group.channel, result.error)
        await asyncio.to_thread(repository.mark_group_notice, item.kind, item.subject, group.unit_id,
                                group.channel, status, result.error)
        sent += status == "sent"
    return sent


async def deliver_all(outreach_: Outreach, batches: Sequence[Batch]) -> list[OutreachReport]:
    """Deliver several batches in turn (unit digests: one per unit)."""
    return [await outreach_.deliver(batch) for batch in batches]
