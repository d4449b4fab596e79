"""Uploads never freeze the bot: while an admin's huge sheet is refused (or a big one imported), others get answers.

The real Application runs against the fake Bot API on 127.0.0.1. An admin uploads a file, and
at the same moment another member sends /help; the benchmark prints how long the /help reply
took, and how long the upload's own reply took:

  rows-200k   an .xlsx of 200,000 roster rows (2.9 MB, 57 MB unpacked): refused from its zip directory
  rows-60k    an .xlsx of 60,000 roster rows (17 MB unpacked): reading stops at the 20,000-row cap
  bomb        an .xlsx that unpacks to over 50 MB: refused from the zip directory, unparsed
  roster-5k   a 5,000-row roster .xlsx: imported (off the event loop)
  wide-30mb   one row of 7.5 M empty cells (~30 KB zipped, 30 MB unpacked): refused while streaming
  wide-45mb   one row of 11.25 M empty cells (45 MB unpacked)
  roster-20k  a 20,000-row roster with phones: read (the row cap)

Then each file is read again in a fresh process (knowledge.tables.read_rows, what every upload
goes through) and that process's peak resident memory is printed (issue 17: under ~200 MB
for any accepted or refused file; the wide rows took 2.3 and 3.75 GB before).

    nice -n 10 .venv/bin/python bench/uploads.py            # /help within 1 s, peak RSS under 200 MB
    nice -n 10 .venv/bin/python bench/uploads.py --rss-only # only the memory figures
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from bot.telegram.app import build_app  # noqa: E402
from knowledge.rounds import Schedule, save_schedule  # noqa: E402
from tests.botharness import BotHarness, bind, bot_services  # noqa: E402
from tests.fakebotapi import FakeBotAPI  # noqa: E402
from tests.test_security_uploads import wide_row_xlsx  # noqa: E402
from tests.test_uploads import bomb  # noqa: E402

READER = """
import atexit, sys
atexit.register(lambda: print("VmHWM", [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")][0]))
from pathlib import Path
from knowledge.errors import SourceError
from knowledge.tables import read_rows
try:
    print("read", len(read_rows(Path(sys.argv[1]))), "rows")
except SourceError as exc:
    print("refused:", str(exc).split("：", 1)[-1][:60])
"""


def peak_rss(path: Path) -> tuple[float, float, str]:
    """Read a file in a fresh process; return its peak RSS in MB, the seconds it took, and what it said."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", READER, str(path)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = process.stdout.read().decode().strip().splitlines()
    process.wait()
    # The child's own high-water mark: ru_maxrss of a child on Linux starts from the parent's at fork.
    peak = int(out[-1].split()[1]) / 1024 if out and out[-1].startswith("VmHWM") else float("nan")
    said = out[-2] if len(out) > 1 else ""
    return peak, time.perf_counter() - started, said[:70]

ROSTER = "姓名,工号,单位,角色\n李校长,A001,城关一小,局管理员\n张老师,T001,城关一小,教师\n"


def roster_xlsx(rows: int, same: bool = False) -> bytes:
    """A roster sheet; with same, every row alike, so it zips small (the 142 KB file of the report)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["姓名", "工号", "单位", "角色"])
    for n in range(rows):
        sheet.append(["张老师", "X000001", "学校01", "教师"] if same else [f"老师{n}", f"X{n:06d}", f"学校{n % 30:02d}", "教师"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def scenario(folder: Path, shared: Path, name: str, data: bytes) -> dict:
    with FakeBotAPI() as api:
        services = bot_services(folder, shared, api, ROSTER)
        bind(services.repository, "A001", 5005)
        bind(services.repository, "T001", 1001)
        save_schedule(services.repository, Schedule(enabled=False))  # no weekly push in the way
        async with BotHarness(api, build_app(services.settings, services)) as bot:
            admin, teacher = api.user(5005), api.user(1001)
            started = time.perf_counter()
            api.send_document(admin, "名册.xlsx", data)
            await asyncio.sleep(0.05)  # the upload is being downloaded and read when /help arrives
            asked = time.perf_counter()
            api.send_text(teacher, "/help")
            await api.wait_for_async(lambda c: c.ok and c.params.get("chat_id") == 1001, timeout=60)
            help_latency = time.perf_counter() - asked
            upload_call = await api.wait_for_async(lambda c: c.ok and c.params.get("chat_id") == 5005, timeout=120)
            upload_latency = time.perf_counter() - started
            reply = upload_call.params["text"].split("\n")[0][:40]
        services.close()
    return {"scenario": name, "file_kb": len(data) // 1024, "help_s": help_latency, "upload_s": upload_latency,
            "reply": reply}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--rss-only", action="store_true", help="only the peak memory of reading each file")
    args = parser.parse_args()
    files = {
        "rows-200k": roster_xlsx(200_000, same=True), "rows-60k": roster_xlsx(60_000), "bomb": bomb(),
        "roster-5k": roster_xlsx(5_000), "wide-30mb": wide_row_xlsx(7_500_000),
        "wide-45mb": wide_row_xlsx(11_250_000), "roster-20k": roster_xlsx(20_000),
    }
    with tempfile.TemporaryDirectory(prefix="xuefa-rss-") as folder:
        print(f"{'scenario':>10}  {'file KB':>8}  {'peak MB':>8}  {'read s':>7}  outcome")
        empty = Path(folder) / "empty.csv"
        empty.write_text("姓名,工号,单位,角色\n", encoding="utf-8")
        peak, seconds, said = peak_rss(empty)
        print(f"{'baseline':>10}  {0:>8}  {peak:>8.0f}  {seconds:>7.2f}  {said}")
        worst = 0.0
        for name, data in files.items():
            path = Path(folder) / f"{name}.xlsx"
            path.write_bytes(data)
            peak, seconds, said = peak_rss(path)
            worst = max(worst, peak)
            print(f"{name:>10}  {len(data) // 1024:>8}  {peak:>8.0f}  {seconds:>7.2f}  {said}")
        print(f"\nworst peak RSS: {worst:.0f} MB (target < 200 MB)\n")
    if args.rss_only:
        return
    results = []
    for name, data in files.items():
        with tempfile.TemporaryDirectory(prefix="xuefa-uploads-") as folder:
            results.append(await scenario(Path(folder), args.shared, name, data))
    print(f"{'scenario':>10}  {'file KB':>8}  {'/help s':>8}  {'upload s':>8}  reply")
    for r in results:
        print(f"{r['scenario']:>10}  {r['file_kb']:>8}  {r['help_s']:>8.2f}  {r['upload_s']:>8.2f}  {r['reply']}")
    worst = max(r["help_s"] for r in results)
    print(f"\nworst /help latency while an upload was handled: {worst:.2f} s (target <= 1 s)")


if __name__ == "__main__":
    asyncio.run(main())
