"""The 法治副校长 reviewer queue end to end: an uncovered question reaches the unit's reviewer, who answers
with a citation; the asker is told; a second teacher's paraphrase gets the reviewed answer; a changed
article sends it back; reviewers never see who asked nor another unit's queue; forgetting covers it all."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.console import Console
from bot.conversation import Caller, Conversation
from bot.reply import Plain
from bot.services import build_services
from bot.settings import Settings
from indexer import build_index
from knowledge import review
from knowledge.access import Actor, AccessDenied
from knowledge.members import parse_roster
from knowledge.sources import load_files
from knowledge.store import Repository
from knowledge.studylists import parse_study_lists
from tests.botharness import STUDY_LIST

ROSTER = (
    "姓名,工号,单位,角色\n张老师,T001,城关一小,教师\n李老师,T002,城关一小,教师\n王老师,T003,城关二小,教师\n"
    "刘警官,R001,城关一小,法治副校长\n陈律师,R002,城关二小,法治副校长\n赵科长,B001,县教育局,局管理员\n"
)
UNCOVERED = "教师的教龄津贴现在每个月具体是多少钱？"
PARAPHRASE = "老师的教龄津贴每个月到底能拿多少钱？"


@pytest.fixture(scope="module")
def built(shared, tmp_path_factory):
    """A data directory with two laws, a study list, the roster and a built index (built once)."""
    folder = tmp_path_factory.mktemp("review")
    settings = Settings(data_dir=folder, db=folder / "x.db", _env_file=None)
    repository = Repository(settings.db_path)
    parsed, _ = load_files([shared / "laws" / n for n in ("teachers-law.md", "compulsory-education-law.md")])
    repository.import_laws([p.law for p in parsed])
    (folder / "list.yaml").write_text(STUDY_LIST, encoding="utf-8")
    repository.save_study_lists(parse_study_lists(folder / "list.yaml", repository))
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    rows, _ = parse_roster(folder / "roster.csv")
    repository.import_roster(rows)
    build_index(settings, repository, progress=False)
    repository.close()
    return folder


@pytest.fixture
def world(built, tmp_path, monkeypatch):
    """Fresh copies of the database for each test, the services over it and a CLI on the same files."""
    import shutil

    for item in built.iterdir():
        target = tmp_path / item.name
        shutil.copytree(item, target, symlinks=True) if item.is_dir() else shutil.copy(item, target)
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "x.db"))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path))
    settings = Settings(data_dir=tmp_path, db=tmp_path / "x.db", _env_file=None)
    services = build_services(settings)
    yield services
    services.close()


def cli_run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def member(services, staff_no):
    return services.repository.find_members(staff_no)[0]


def ask(services, staff_no, text, channel="console"):
    conversation = Conversation(services, Plain())
    caller = Caller(Actor.of(member(services, staff_no)), channel=channel)
    reply = conversation.handle_text(caller, text)
    services.journal.flush(10)
    return conversation, caller, reply


def test_the_roster_role_makes_a_reviewer_of_their_own_unit(world):
    conversation = Conversation(world, Plain())
    shown = conversation.handle_command(Caller(Actor.of(member(world, "R001")), channel="console"), "help", "")
    assert "/answer" in "\n".join(shown.parts)
    scopes = world.repository.reviewer_scopes()
    assert {(member(world, "R001").id, "城关一小"), (member(world, "R002").id, "城关二小")} == {
        (s.member_id, s.unit) for s in scopes}
    assert member(world, "R001").role == "teacher"


def test_an_uncovered_question_reaches_the_units_reviewer_who_answers_and_a_paraphrase_gets_it(world):
    _, _, reply = ask(world, "T001", UNCOVERED)
    text = "\n".join(reply.parts)
    assert "已转给本单位法治副校长" in text
    [entry] = world.repository.entries()
    assert entry.unit == "城关一小" and entry.routed_unit == "城关一小" and entry.reason == "unsure"

    listed = cli_run("review", "list", "--as", "R001")
    assert listed.exit_code == 0
    [line] = listed.output.strip().splitlines()
    assert line.startswith(f"{entry.id}\t") and UNCOVERED in line and "张老师" not in line and "T001" not in line
    # Another unit's reviewer sees nothing of it, and is refused that unit's queue by name.
    assert UNCOVERED not in cli_run("review", "list", "--as", "R002").output
    refused = CliRunner().invoke(cli, ["review", "list", "--unit", "城关一小", "--as", "R002"])
    assert refused.exit_code != 0 and "只能查看所负责单位" in refused.output
    other = CliRunner().invoke(cli, ["review", "answer", str(entry.id), "--text", "x", "--cite", "教师法第二十六条",
                                     "--as", "R002"])
    assert other.exit_code != 0 and "没有编号为" in other.output

    forged = CliRunner().invoke(cli, ["review", "answer", str(entry.id), "--text", "按国家规定执行。",
                                      "--cite", "教师法第九十九条", "--as", "R001"])
    assert forged.exit_code != 0 and "无法核对" in forged.output and "第九十九条" in forged.output
    assert world.repository.pairs() == [] and world.repository.entry(entry.id).status == "waiting"

    answer = "教龄津贴的具体标准由国务院教育行政部门会同有关部门制定，请向县教育局人事股了解本地标准。"
    done = cli_run("review", "answer", str(entry.id), "--text", answer, "--cite", "教师法第二十六条", "--as", "R001")
    assert done.exit_code == 0, done.output
    assert world.repository.entry(entry.id).status == "answered"

    [(asker, notice)] = review.asker_notices(world.repository)
    assert asker == member(world, "T001").id and "经法治副校长解答" in notice.text and answer in notice.text
    assert "中小学教师和职业学校教师享受教龄津贴" in notice.text  # the article verbatim
    assert review.asker_notices(world.repository) == []  # told once

    console = Console(world, member(world, "T002"))
    out = io.StringIO()
    console.out = out
    console.run(io.StringIO(PARAPHRASE + "\n"))
    shown = out.getvalue()
    assert "经法治副校长解答" in shown and answer in shown and "中小学教师和职业学校教师享受教龄津贴" in shown
    assert "有帮助" in shown and "没有解决" in shown


def test_reviewers_never_see_who_asked_and_only_a_bureau_admin_reveals_it_audited(world):
    ask(world, "T001", UNCOVERED)
    [entry] = world.repository.entries()
    item = review.waiting(world.repository, Actor.of(member(world, "R001")))[0]
    assert not hasattr(item, "asker_id") and "张老师" not in item.line(world.clock)
    with pytest.raises(AccessDenied):
        review.reveal_asker(world.repository, Actor.of(member(world, "R001")), entry.id)
    shown = review.reveal_asker(world.repository, Actor.of(member(world, "B001")), entry.id)
    assert shown.staff_no == "T001"
    actions = [e.action for e in world.repository.audit_log(20)]
    assert "review_reveal" in actions and "refused" in actions
    with pytest.raises(AccessDenied):
        review.waiting(world.repository, Actor.of(member(world, "T002")))  # a teacher has no queue


def test_feedback_buttons_send_a_confident_answer_on_and_a_remark_follows(world):
    conversation, caller, reply = ask(world, "T001", "教师应当履行哪些义务？")
    labels = {b.label: b.action for row in reply.buttons for b in row}
    assert {"有帮助", "没有解决", "请法治副校长解答"} <= set(labels)
    assert world.repository.entries() == []
    said = conversation.handle_action(caller, labels["没有解决"])
    assert "已转给法治副校长" in "\n".join(said.parts)
    [entry] = world.repository.entries()
    assert entry.reason == "not_solved"
    conversation.handle_text(caller, "补充：我想知道班主任的额外义务")
    assert world.repository.entry(entry.id).remark == "我想知道班主任的额外义务"
    # A button of someone else's reply does nothing.
    other = Caller(Actor.of(member(world, "T002")), channel="console")
    assert "失效" in "\n".join(conversation.handle_action(other, labels["有帮助"]).parts)


def test_a_changed_cited_article_sends_the_answer_back_to_the_queue(world, shared, tmp_path):
    ask(world, "T001", UNCOVERED)
    [entry] = world.repository.entries()
    review.answer_entry(world.repository, world.catalog, Actor.of(member(world, "R001")), entry.id,
                        "见教师法。", ["教师法第二十六条"])
    text = (shared / "laws" / "teachers-law.md").read_text(encoding="utf-8")
    changed = tmp_path / "teachers-law.md"
    changed.write_text(text.replace("享受教龄津贴和其他津贴", "享受教龄津贴、班主任津贴和其他津贴"), encoding="utf-8")
    result = cli_run("laws", "import", str(changed))
    assert result.exit_code == 0 and "退回待解答队列" in result.output
    assert world.repository.pairs() == []
    [back] = world.repository.entries()
    assert back.reason == "law_changed" and back.question == UNCOVERED and back.unit == "城关一小"


def test_an_entry_waiting_too_long_goes_to_the_bureau_and_reviewers_get_one_daily_summary(world):
    from datetime import timedelta

    ask(world, "T001", UNCOVERED)
    ask(world, "T002", "教师的医疗保险每个月交多少钱？")
    notices = review.reviewer_digest(world.repository, world.clock, 3)
    assert [m for m, _ in notices] == [member(world, "R001").id]  # one summary, not one per question
    assert "2 个问题" in notices[0][1].text
    world.clock.pin(world.clock.now() + timedelta(days=4))
    assert review.escalate(world.repository, world.clock, 3) == 2
    assert all(e.routed_unit is None for e in world.repository.entries())
    review.assign(world.repository, Actor.operator(), member(world, "B001"), None)
    assert [m for m, _ in review.reviewer_digest(world.repository, world.clock, 3)] == [member(world, "B001").id]


def test_forgetting_a_member_erases_their_queue_and_feedback(world, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conversation, caller, reply = ask(world, "T001", UNCOVERED)
    labels = {b.label: b.action for row in reply.buttons for b in row}
    conversation.handle_action(caller, labels["有帮助"])
    exported = cli_run("member", "export", "T001", "--json", "held.json")
    assert exported.exit_code == 0
    import json
    from pathlib import Path

    held = json.loads(Path("held.json").read_text(encoding="utf-8"))
    held = held.get("tables", held)
    assert held["review_entries"][0]["question"] == UNCOVERED and held["answer_feedback"][0]["helpful"] == 1
    assert cli_run("member", "forget", "T001", "--yes").exit_code == 0
    assert world.repository.entries(None) == []
    assert world.repository.scalar("SELECT count(*) FROM answer_feedback") == 0


def test_the_report_counts_questions_by_unit_and_topic_and_who_answered_them(world, tmp_path):
    import openpyxl

    ask(world, "T001", UNCOVERED)
    ask(world, "T003", "教师应当履行哪些义务？")
    [entry] = world.repository.entries()
    review.answer_entry(world.repository, world.catalog, Actor.of(member(world, "R001")), entry.id,
                        "见教师法。", ["教师法第二十六条"])
    ask(world, "T002", PARAPHRASE)  # answered from the reviewed layer
    result = cli_run("review", "report", "--xlsx", str(tmp_path / "topics.xlsx"))
    assert result.exit_code == 0, result.output
    assert "共 3 个问题：学法助手直接解答 1（33.3%），法治副校长解答 2（66.7%），等待解答 0（0.0%）" in result.output
    assert "解答用时中位数：0.0 天" in result.output
    sheet = openpyxl.load_workbook(tmp_path / "topics.xlsx")["高频问题主题"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("排名", "主题（法规）", "提问数", "法治副校长解答数") and rows[2][1] == "教师法" and rows[2][2] == 3


def test_on_the_web_a_teacher_is_queued_the_reviewer_answers_on_the_review_page_and_feedback_works(world):
    from tests.webharness import Browser

    teacher = Browser(world)
    teacher.sign_in("T001")
    page = teacher.post("/chat", {"q": UNCOVERED}).text
    assert "已转给本单位法治副校长" in page and "有帮助" in page and "没有解决" in page
    world.journal.flush(10)
    [entry] = world.repository.entries()
    assert entry.channel == "web"
    assert teacher.get("/review").status_code == 403  # a teacher has no queue

    reviewer = Browser(world, teacher.app)
    reviewer.sign_in("R001")
    listing = reviewer.page("/review")
    assert UNCOVERED in listing and "张老师" not in listing and "T001" not in listing and 'href="/review"' in listing
    other = Browser(world, teacher.app)
    other.sign_in("R002")
    assert UNCOVERED not in other.page("/review")

    forged = reviewer.post("/review", {"id": str(entry.id), "action": "answer", "text": "见规定。",
                                       "cites": "教师法第九十九条"}, page="/review")
    assert forged.status_code == 400 and "无法核对" in forged.text
    done = reviewer.post("/review", {"id": str(entry.id), "action": "answer", "text": "标准由国务院教育行政部门制定。",
                                     "cites": "教师法第二十六条"}, page="/review")
    assert done.status_code == 200 and "已解答" in done.text

    second = Browser(world, teacher.app)
    second.sign_in("T002")
    page = second.post("/chat", {"q": PARAPHRASE}).text
    assert "经法治副校长解答" in page and "标准由国务院教育行政部门制定。" in page
    action = re.search(r'name="a" value="(fb:y:[^"]+)"', page).group(1)
    thanks = second.post("/chat/action", {"a": action}, page="/chat").text
    assert "谢谢您的反馈" in thanks
    assert world.repository.scalar("SELECT count(*) FROM answer_feedback WHERE helpful = 1") == 1


async def test_on_telegram_the_uncovered_question_is_queued_and_the_feedback_buttons_are_an_inline_keyboard(
        world, api):
    from bot.telegram.app import build_app
    from tests.botharness import BotHarness, bind

    settings = Settings(telegram_token="123:abc", telegram_base_url=api.base_url,
                        telegram_base_file_url=api.base_file_url, data_dir=world.settings.data_dir,
                        db=world.settings.db_path, _env_file=None)
    bind(world.repository, "T003", 3003)
    async with BotHarness(api, build_app(settings, world)) as bot:
        teacher = api.user(3003, "王老师")
        await bot.text(teacher, UNCOVERED)
        message = bot.last_message_to(3003)
        labels = {b["text"]: b["callback_data"] for row in message.params["reply_markup"]["inline_keyboard"]
                  for b in row}
        assert "有帮助" in labels and "没有解决" in labels
        world.journal.flush(10)
        [entry] = world.repository.entries()
        assert entry.unit == "城关二小" and entry.channel == "telegram"
        assert [i.id for i in review.waiting(world.repository, Actor.of(member(world, "R002")))] == [entry.id]
        assert review.waiting(world.repository, Actor.of(member(world, "R001"))) == []
        [said] = await bot.press(teacher, message, labels["没有解决"])
        assert "已转给法治副校长" in said.params["text"]
        assert len(world.repository.entries()) == 1  # the same question is queued once


def test_reviewed_pairs_become_labelled_questions_xuefa_eval_reads(world, tmp_path):
    from knowledge.evaluation import read_questions

    ask(world, "T001", UNCOVERED)
    [entry] = world.repository.entries()
    review.answer_entry(world.repository, world.catalog, Actor.of(member(world, "R001")), entry.id,
                        "见教师法。", ["教师法第二十六条"])
    result = cli_run("review", "export-eval", str(tmp_path / "reviewed.jsonl"))
    assert result.exit_code == 0
    [question] = read_questions(tmp_path / "reviewed.jsonl")
    assert question.text == UNCOVERED and question.gold == [("中华人民共和国教师法", "第二十六条")]


def test_the_dashboard_shows_who_answered_and_offers_the_topics_workbook(world):
    from tests.webharness import Browser

    ask(world, "T001", UNCOVERED)
    admin = Browser(world)
    admin.sign_in("B001")
    page = admin.page("/dashboard?period=year")
    assert "提问与解答" in page and "等待解答 1（100.0%）" in page and "城关一小" in page
    download = admin.get("/dashboard/topics.xlsx?period=year")
    assert download.status_code == 200 and download.content[:2] == b"PK"
    assert "待解答" in page and 'href="/review"' in page  # bureau admins may open the queue


def test_closing_as_out_of_scope_duplicate_or_missing_law_tells_the_asker_why(world):
    reviewer = Actor.of(member(world, "R001"))
    ask(world, "T001", UNCOVERED)
    ask(world, "T002", "教师的医疗保险每个月交多少钱？")
    ask(world, "T001", "学校门口的交通信号灯归谁管？")
    first, second, third = world.repository.entries()
    with pytest.raises(review.ReviewError, match="写明理由"):
        review.close_entry(world.repository, reviewer, second.id, "out_of_scope", "")
    review.close_entry(world.repository, reviewer, second.id, "out_of_scope", "医保缴费由社保部门核定，请咨询县医保局。")
    pair = review.answer_entry(world.repository, world.catalog, reviewer, first.id, "见教师法。", ["教师法第二十六条"])
    review.close_entry(world.repository, reviewer, third.id, "missing_law", "道路交通安全法")
    told = dict((n.text.split("\n")[0], n.text) for _, n in review.asker_notices(world.repository))
    assert "医保缴费由社保部门核定" in told["您问过：教师的医疗保险每个月交多少钱？"]
    assert "《道路交通安全法》，已报请教育局导入" in told["您问过：学校门口的交通信号灯归谁管？"]
    assert review.missing_laws(world.repository) == [("道路交通安全法", 1)]
    assert pair.active


def test_removing_a_cited_law_sends_the_answer_back(world):
    ask(world, "T001", UNCOVERED)
    [entry] = world.repository.entries()
    review.answer_entry(world.repository, world.catalog, Actor.of(member(world, "R001")), entry.id,
                        "见教师法。", ["教师法第二十六条"])
    result = cli_run("laws", "remove", "教师法", "--yes")
    assert result.exit_code == 0 and "退回待解答队列" in result.output
    [back] = world.repository.entries()
    assert back.reason == "law_changed" and "已从法规库删除" in back.remark


async def test_the_scheduler_tells_the_reviewer_and_then_the_asker_on_their_wecom(world):
    from bot.outreach import Outreach
    from bot.scheduler import send_review_answers, send_reviewer_digest
    from bot.wecom.channel import WeComChannel
    from bot.wecom.client import WeComClient
    from tests.fakes.wecom import FakeWeCom

    repository = world.repository
    for staff_no, userid in (("T001", "zhang"), ("R001", "liu")):
        repository.bind_account(member(world, staff_no).id, "wecom", userid, "", "roster")
    ask(world, "T001", UNCOVERED)
    [entry] = repository.entries()
    with FakeWeCom(users={"zhang", "liu"}) as wecom:
        client = WeComClient(wecom.corp_id, wecom.agent_id, wecom.secret, base_url=wecom.base_url)
        outreach = Outreach(world, {"wecom": WeComChannel(client, "https://xuefa.example.edu.cn")})
        assert await send_reviewer_digest(world, outreach) == 1
        assert await send_reviewer_digest(world, outreach) == 0  # one summary a day, however often it runs
        review.answer_entry(repository, world.catalog, Actor.of(member(world, "R001")), entry.id,
                            "教龄津贴的标准由国家规定。", ["教师法第二十六条"])
        assert await send_review_answers(world, outreach) == 1
        assert await send_review_answers(world, outreach) == 0
        await client.close()
        to_reviewer, to_asker = wecom.received("liu"), wecom.received("zhang")
    assert len(to_reviewer) == 1 and UNCOVERED not in to_reviewer[0].text  # a count and a link, no question
    assert len(to_asker) == 1
