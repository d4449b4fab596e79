"""Push benchmark per channel: a weekly round to 5,000 and 60,000 members through the production
path (`bot.outreach.Outreach`: the outbox ledger, batching, the channel adapter) against a fake
platform on 127.0.0.1 that enforces the platform's documented limits.

  wecom     tests/fakes/wecom.py: ≤1,000 touser a call (应用消息), the per-member caps (30/min,
            1,000/h: one message each never reaches them), the duplicate check; `--latency`
            adds a round trip per message/send call, as the real API has one (unknown here).
  telegram  the Bot API allows about 30 messages a second to different chats; bench/broadcast.py
            measures our pusher against a fake that answers 429 beyond that (27.5 msg/s), so here
            it is that measured rate applied to each size, not re-run (60,000 would take 36 min).

  dingtalk  tests/fakes/dingtalk.py: ≤100 userids an asyncsend_v2 call, then getsendprogress and
            getsendresult (the client polls after 0.3 s), the same-content and daily-cap rules;
            the client paces each API at 10 calls a second (half the documented 20).

    .venv/bin/python bench/push.py                        # 5,000 and 60,000, latency 0 and 0.2 s
    .venv/bin/python bench/push.py --sizes 5000 --latency 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import make_db  # noqa: E402
from bot.outreach import Outreach  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.wecom.channel import WeComChannel  # noqa: E402
from bot.wecom.client import WeComClient  # noqa: E402
from knowledge.outreach import round_batch  # noqa: E402
from knowledge.store import Repository  # noqa: E402
from tests.fakes.dingtalk import FakeDingTalk  # noqa: E402
from tests.fakes.wecom import FakeWeCom  # noqa: E402

WEB_URL = "https://xuefa.example.edu.cn"
TELEGRAM_MEASURED = 27.5  # msg/s, bench/broadcast.py against a fake enforcing 30 a second (bench/README.md)


def platform_db(path: Path, members: int, channel: str) -> int:
    """The broadcast bench's database, with every member's account on the platform instead of Telegram."""
    round_id = make_db(path, members)
    repository = Repository(path)
    with repository.transaction():
        repository.db.execute("UPDATE accounts SET channel = ?, external_id = 'u' || member_id, "
                              "address = 'u' || member_id", [channel])
    repository.close()
    return round_id


async def timed_push(db: Path, round_id: int, name: str, client, channel) -> tuple[float, int, int]:
    """Push the round once through Outreach over one channel; return seconds, sent and token fetches."""
    settings = Settings(db=db, web_url=WEB_URL, _env_file=None)
    repository = Repository(settings.db_path)
    services = build_services(settings, repository, load_index=False)
    try:
        outreach = Outreach(services, {name: channel}, [name])
        started = time.perf_counter()
        report = await outreach.deliver(round_batch(repository, services.clock, repository.round(round_id)))
        seconds = time.perf_counter() - started
    finally:
        await client.close()
        repository.close()
    return seconds, report.sent, client.token_fetches


async def push_wecom(db: Path, round_id: int, server: FakeWeCom) -> tuple[float, int, int]:
    client = WeComClient(server.corp_id, server.agent_id, server.secret, base_url=server.base_url)
    return await timed_push(db, round_id, "wecom", client, WeComChannel(client, WEB_URL))


async def push_dingtalk(db: Path, round_id: int, server: FakeDingTalk) -> tuple[float, int, int]:
    from bot.dingtalk.channel import DingTalkChannel
    from bot.dingtalk.client import DingTalkClient

    client = DingTalkClient(server.app_key, server.app_secret, server.agent_id, server.base_url, server.base_url)
    return await timed_push(db, round_id, "dingtalk", client, DingTalkChannel(client, WEB_URL))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 60000])
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.2],
                        help="seconds the fake takes per message/send call (WeCom's round trip)")
    parser.add_argument("--dingtalk-max", type=int, default=60000, help="skip DingTalk above this many members")
    args = parser.parse_args()
    print(f"{'channel':9} {'members':>8} {'latency':>8} {'seconds':>8} {'msg/s':>9} {'sent':>7} {'received':>8} "
          f"{'calls':>6} {'tokens':>6}")
    for members in args.sizes:
        for latency in args.latency:
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "push.db"
                round_id = platform_db(db, members, "wecom")
                users = {f"u{i + 1}" for i in range(members)}
                with FakeWeCom(users=users, latency=latency) as server:
                    seconds, sent, tokens = asyncio.run(push_wecom(db, round_id, server))
                    received = sum(1 for user in users if server.received(user))
                    calls = server.calls["message/send"]
            print(f"{'wecom':9} {members:8,} {latency:8.1f} {seconds:8.1f} {sent / seconds:9,.0f} {sent:7,} "
                  f"{received:8,} {calls:6} {tokens:6}", flush=True)
        if members <= args.dingtalk_max:
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "push.db"
                round_id = platform_db(db, members, "dingtalk")
                users = {f"u{i + 1}": f"138{i:08d}" for i in range(members)}
                with FakeDingTalk(users=users) as server:
                    seconds, sent, tokens = asyncio.run(push_dingtalk(db, round_id, server))
                    received = sum(1 for user in users if server.received(user))
                    calls = server.calls["asyncsend_v2"]
            print(f"{'dingtalk':9} {members:8,} {'-':>8} {seconds:8.1f} {sent / seconds:9,.0f} {sent:7,} "
                  f"{received:8,} {calls:6} {tokens:6}", flush=True)
        print(f"{'telegram':9} {members:8,} {'-':>8} {members / TELEGRAM_MEASURED:8.0f} {TELEGRAM_MEASURED:9.1f} "
              f"{'(rate measured by bench/broadcast.py)':>40}", flush=True)


if __name__ == "__main__":
    main()
