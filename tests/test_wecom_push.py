"""Pushing through WeCom end to end: `xuefa quiz push` with only WeCom, the Scheduler's push and
reminders, a web-only deployment, and SIGKILL in the middle of a 5,000-member push.

WeCom is tests/fakes/wecom.py on 127.0.0.1 (in a thread, or in its own process for the SIGKILL
test); what members received is read from the fake's inbox, never from our own records.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as daytime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.outreach import close_channels, open_channels, outreach_for
from bot.scheduler import Scheduler
from bot.services import build_services
from bot.settings import Settings
from knowledge import messages as M
from knowledge.clock import Clock
from knowledge.members import RosterRow
from knowledge.store import Repository
from tests.botharness import STUDY_LIST
from tests.fakes.wecom import FakeWeCom
from tests.processes import XUEFA

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROSTER = (
    "姓名,工号,单位,角色\n张老师,T001,城关一小,教师\n钱老师,T002,城关一小,教师\n孙老师,T003,城关一小,教师\n"
    "赵老师,T004,城关一小,教师\n李校长,A001,城关一小,单位管理员\n"
)
ACCOUNTS = {"T001": "zhang", "T002": "qian", "T004": "gone", "A001": "li"}  # T003: none; gone: left WeCom
ROUND_TITLE = "本周学法测验"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def this_monday(hour: int, minute: int) -> datetime:
    today = datetime.now(SHANGHAI).date()
    return datetime.combine(today - timedelta(days=today.isoweekday() - 1), daytime(hour, minute), SHANGHAI)


@pytest.fixture
def wecom():
    with FakeWeCom(users={"zhang", "qian", "li"}) as server:
        yield server


def wecom_env(monkeypatch, server) -> None:
    for key, value in {"XUEFA_WECOM_CORP_ID": server.corp_id, "XUEFA_WECOM_AGENT_ID": str(server.agent_id),
                       "XUEFA_WECOM_SECRET": server.secret, "XUEFA_WECOM_BASE_URL": server.base_url,
                       "XUEFA_WEB_URL": "https://xuefa.example.edu.cn"}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def db(tmp_path, monkeypatch, shared):
    path = tmp_path / "x.db"
    monkeypatch.setenv("XUEFA_DB", str(path))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    for key in ("XUEFA_TELEGRAM_TOKEN", "XUEFA_TELEGRAM_BASE_URL", "XUEFA_STUDYLIST", "XUEFA_WEB_PORT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    laws = [str(shared / "laws" / name) for name in ("teachers-law.md", "compulsory-education-law.md")]
    assert run("laws", "import", *laws).exit_code == 0
    (tmp_path / "list.yaml").write_text(STUDY_LIST, encoding="utf-8")
    assert run("studylist", "load", "list.yaml").exit_code == 0
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    assert run("roster", "import", "roster.csv").exit_code == 0
    repository = Repository(path)
    for staff_no, userid in ACCOUNTS.items():
        repository.bind_account(repository.find_members(staff_no)[0].id, "wecom", userid, "", "roster")
    repository.close()
    return path


def round_cards(server: FakeWeCom, userid: str) -> list:
    return [item for item in server.received(userid) if ROUND_TITLE in item.body.get("title", "")]


def test_quiz_push_with_only_wecom_reaches_every_bound_member_once_and_names_the_unreachable(
    db, monkeypatch, wecom
):
    wecom_env(monkeypatch, wecom)
    result = run("quiz", "push")
    assert result.exit_code == 0, result.output
    assert "企业微信 3 人" in result.output and "未配置推送渠道" not in result.output
    assert {user: len(round_cards(wecom, user)) for user in ("zhang", "qian", "li")} == {"zhang": 1, "qian": 1, "li": 1}
    [card] = round_cards(wecom, "zhang")
    # The card leads through WeCom's sign-in into the web quiz.
    assert card.body["url"] == "https://xuefa.example.edu.cn/login/wecom?next=/quiz"
    assert "T003\t孙老师\t城关一小\t" + M.UNREACHED_NO_ACCOUNT in result.output
    assert "T004\t赵老师\t城关一小\t" in result.output  # WeCom answered invaliduser for it
    again = run("quiz", "push")
    assert "送达 0 人" in again.output
    assert sum(len(round_cards(wecom, user)) for user in ("zhang", "qian", "li")) == 3


def wecom_services(folder, server: FakeWeCom | None, clock: Clock, **extra):
    values = dict(web_url="https://xuefa.example.edu.cn", data_dir=folder / "data", db=folder / "x.db",
                  _env_file=None, **extra)
    if server is not None:
        values |= dict(wecom_corp_id=server.corp_id, wecom_agent_id=server.agent_id, wecom_secret=server.secret,
                       wecom_base_url=server.base_url)
    settings = Settings(**values)
    return build_services(settings, Repository(settings.db_path, clock), clock, load_index=False)


async def test_the_scheduler_pushes_and_reminds_through_wecom(db, wecom, tmp_path):
    clock = Clock("Asia/Shanghai", this_monday(9, 1))
    services = wecom_services(tmp_path, wecom, clock)
    channels = await open_channels(services)
    assert list(channels) == ["wecom"]
    scheduler = Scheduler(services, outreach_for(services, channels))
    try:
        assert "push" in await scheduler.tick()
        assert {user: len(round_cards(wecom, user)) for user in ("zhang", "qian", "li")} == {
            "zhang": 1, "qian": 1, "li": 1}
        before = {user: len(wecom.received(user)) for user in ("zhang", "qian", "li")}
        clock.pin(this_monday(16, 1) + timedelta(days=4))  # Friday 16:01, the reminder time
        assert "reminder" in await scheduler.tick()
        after = {user: len(wecom.received(user)) for user in ("zhang", "qian", "li")}
        # Nobody has finished: each bound member is reminded once, on WeCom; the unit admin also gets
        # the unit's not-yet list (names) on the same day.
        assert {user: after[user] - before[user] for user in after} == {"zhang": 1, "qian": 1, "li": 2}
        digest = [json.dumps(item.body, ensure_ascii=False) for item in wecom.received("li")[before["li"]:]]
        assert sum("孙老师" in text for text in digest) == 1, digest
        assert "reminder" not in await scheduler.tick()  # the same due time does not run twice
    finally:
        await close_channels(channels)
        services.close()


async def test_a_web_only_deployment_opens_the_round_at_push_time_and_reports_who_has_not_finished(
    db, tmp_path, monkeypatch
):
    clock = Clock("Asia/Shanghai", this_monday(9, 1))
    services = wecom_services(tmp_path, None, clock)
    assert services.settings.push_configured == []
    repository = services.repository
    assert repository.round_for_week(services.quizflow.week()) is None
    scheduler = Scheduler(services, outreach_for(services, await open_channels(services)))
    try:
        assert "push" in await scheduler.tick()
        round_ = repository.round_for_week(services.quizflow.week())
        assert round_ is not None  # opened by the scheduler, nobody pressed 开始答题
    finally:
        services.close()
    monkeypatch.setenv("XUEFA_WEB_URL", "https://xuefa.example.edu.cn")
    stats = run("stats")
    assert stats.exit_code == 0, stats.output
    assert "该期间还没有测验" not in stats.output
    assert "孙老师" in stats.output  # the not-yet list, on the very Monday


# --- SIGKILL in the middle of a 5,000-member push --------------------------------------------

MEMBERS = 5000


def fake_state(base_url: str) -> dict:
    with urllib.request.urlopen(base_url + "/_fake/state", timeout=10) as answer:
        return json.load(answer)


def test_sigkill_mid_push_then_a_restart_leaves_none_lost_and_none_duplicated(db, tmp_path, monkeypatch):
    """How the guarantee is shared. The outbox claims each member's delivery (state 'sending') just
    before the send and records 'sent' after it: a member whose send completed is never sent to
    again, and one never claimed is sent on restart, so nobody is lost. The members of the one
    message/send call in flight when the process died are 'sending' with no outcome: the restart
    must send them again (else they could be lost), and WeCom's duplicate check (the same JSON to
    the same member within duplicate_check_interval, 30 min by default) drops that repeat for
    those who already got it. So: 0 lost from the ledger, 0 duplicated from ledger + WeCom. The
    fake counts what it dropped as duplicates, which shows the second half doing its part.
    """
    repository = Repository(db)
    rows = [RosterRow(i + 2, f"M{i:05d}", f"教师{i:05d}", f"学校{i % 50:02d}", "teacher") for i in range(MEMBERS)]
    repository.import_roster(rows, deactivate_missing=True)
    for member in repository.members():
        repository.bind_account(member.id, "wecom", member.staff_no.lower(), "", "roster")
    repository.close()
    fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.wecom", "--users", str(MEMBERS), "--latency", "0.4"],
                            stdout=subprocess.PIPE, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        info = json.loads(fake.stdout.readline())
        env = dict(os.environ, XUEFA_WECOM_CORP_ID=info["corp_id"], XUEFA_WECOM_AGENT_ID=str(info["agent_id"]),
                   XUEFA_WECOM_SECRET=info["secret"], XUEFA_WECOM_BASE_URL=info["base_url"],
                   XUEFA_WEB_URL="https://xuefa.example.edu.cn")
        push = subprocess.Popen([str(XUEFA), "quiz", "push"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            got = sum(fake_state(info["base_url"])["received"].values())
            if got >= 1000:
                break
            assert push.poll() is None, push.communicate()
            time.sleep(0.05)
        push.send_signal(signal.SIGKILL)
        push.wait(timeout=30)
        killed_at = sum(fake_state(info["base_url"])["received"].values())
        assert 1000 <= killed_at < MEMBERS, "the kill must land in the middle of the push"
        again = subprocess.run([str(XUEFA), "quiz", "push"], env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        state = fake_state(info["base_url"])
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait(timeout=30)
    received = Counter(state["received"])
    expected = {f"m{i:05d}" for i in range(MEMBERS)}
    lost = expected - set(received)
    duplicated = {user: n for user, n in received.items() if n > 1}
    assert (len(lost), len(duplicated)) == (0, 0)
    assert set(received) == expected and not state["dropped"]
    repository = Repository(db)
    try:
        counts = dict(repository.db.execute("SELECT status, count(*) FROM outbox WHERE kind = 'round' GROUP BY status").fetchall())
    finally:
        repository.close()
    assert counts.get("sent") == MEMBERS, counts
    print(f"killed with {killed_at} delivered; WeCom dropped {sum(state['duplicates'].values())} repeats")
