"""Security round two (issue 17): a tiny .xlsx must not eat gigabytes, measured on a real process."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl

from knowledge import messages as M
from knowledge.tables import MAX_ROW_CELLS
from tests.processes import prepared_data

PEAK_MB = 200  # the bound for any accepted or refused file


def wide_row_xlsx(cells: int) -> bytes:
    """A valid workbook whose one row holds `cells` empty cells: 7.5 M of them are 30 MB unpacked, ~30 KB zipped."""
    book = openpyxl.Workbook()
    book.active.append(["姓名", "工号", "单位", "角色"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(r"<dimension[^>]*/>", "", text)
                text = re.sub(r"<sheetData>.*</sheetData>", "<sheetData><row r=\"1\">" + "<c/>" * cells
                              + "</row></sheetData>", text, flags=re.DOTALL)
                data = text.encode()
            target.writestr(info.filename, data)
    return out.getvalue()


# The child reports its own high-water mark (VmHWM, per address space): ru_maxrss of a child on
# Linux starts from its parent's at fork and would measure the test runner instead.
HIGH_WATER = ("import atexit, sys\n"
              "atexit.register(lambda: print('VmHWM', [line.split()[1] for line in open('/proc/self/status')\n"
              "                                        if line.startswith('VmHWM')][0], flush=True))\n")


def peak_of(code: str, args: list[str], env: dict) -> tuple[int, str, float]:
    """Run Python code in a fresh process; return its exit code, its output and its peak resident memory in MB."""
    done = subprocess.run([sys.executable, "-c", HIGH_WATER + code, *args], env=env, capture_output=True, text=True,
                          timeout=600)
    out = done.stdout + done.stderr
    peak = int(re.findall(r"VmHWM (\d+)", out)[-1]) / 1024  # kB
    return done.returncode, out, peak


def test_a_row_of_millions_of_empty_cells_is_refused_in_little_memory(tmp_path, shared, monkeypatch):
    env = {**os.environ, **prepared_data(tmp_path, shared, monkeypatch)}
    path = tmp_path / "名册.xlsx"
    path.write_bytes(wide_row_xlsx(7_500_000))
    assert path.stat().st_size < 100_000
    # `xuefa roster import`, as the operator runs it (the web and Telegram call the same read_rows).
    code, out, peak = peak_of("from bot.cli import cli\ncli(sys.argv[1:])", ["roster", "import", str(path)], env)
    assert code != 0 and M.XLSX_ROW_TOO_WIDE.format(n=MAX_ROW_CELLS) in out, out[-500:]
    assert peak < PEAK_MB, peak  # before: about 2.3 GB


def test_a_real_roster_of_twenty_thousand_rows_is_read_in_little_memory(tmp_path):
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["姓名", "工号", "单位", "角色", "手机"])
    for n in range(20_000):
        sheet.append([f"老师{n}", f"X{n:06d}", f"学校{n % 30:02d}", "教师", f"138{n:08d}"])
    book.save(tmp_path / "ok.xlsx")
    reader = "from pathlib import Path\nfrom knowledge.tables import read_rows\nprint(len(read_rows(Path(sys.argv[1]))))"
    code, out, peak = peak_of(reader, [str(tmp_path / "ok.xlsx")],
                              {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert code == 0 and out.startswith("20001"), out
    assert peak < PEAK_MB, peak
