"""Uploads never freeze or fool the bot: real sizes, zip bombs and row caps are refused before parsing."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile

import openpyxl
import pytest

from knowledge import messages as M
from knowledge.errors import SourceError
from knowledge.tables import MAX_ROWS, MAX_SHEET_BYTES, read_rows
from tests.test_bot import bot, register, services  # noqa: F401 - shared fixtures


def bomb() -> bytes:
    """A valid-looking .xlsx whose one sheet unpacks to more than MAX_SHEET_BYTES: ~0.1 MB on the wire."""
    row = "<row><c t=\"inlineStr\"><is><t>张老师</t></is></c></row>"
    sheet = ("<worksheet><sheetData>" + row * (MAX_SHEET_BYTES // len(row.encode()) + 10) + "</sheetData></worksheet>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_any_xml_is_parsed(tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(bomb())
    assert path.stat().st_size < 5_000_000  # it passes the upload size check
    started = time.perf_counter()
    with pytest.raises(SourceError, match="解压后超过 50 MB"):
        read_rows(path)
    assert time.perf_counter() - started < 10  # refused from the zip directory, not by parsing (a loose bound)


def test_rows_beyond_the_cap_refuse_the_file(tmp_path):
    csv_path = tmp_path / "roster.csv"
    csv_path.write_text("姓名,工号,单位,角色\n" + "张老师,T1,城关一小,教师\n" * (MAX_ROWS + 1), encoding="utf-8")
    with pytest.raises(SourceError, match="超过 20,000 行"):
        read_rows(csv_path)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["姓名", "工号", "单位", "角色"])
    for n in range(MAX_ROWS):
        sheet.append([f"老师{n}", f"T{n}", "城关一小", "教师"])
    book.save(tmp_path / "ok.xlsx")
    assert len(read_rows(tmp_path / "ok.xlsx")) == MAX_ROWS + 1  # exactly at the cap: read


async def test_the_bot_checks_the_size_it_downloaded_not_the_size_it_was_told(bot, services, tmp_path):  # noqa: F811
    admin = await register(bot, services, 5005, "A001")
    big = ("姓名,工号,单位,角色\n" + "钱老师,T002,城关一小,教师\n" * 400_000).encode()  # > 5 MB
    message = bot.api.send_document(admin, "roster.csv", big)
    document = {**message["document"], "file_size": 1024}  # a client that declares less than it sends
    calls = await bot.replies_to(
        lambda: bot.api.push_update({"message": {**message, "message_id": message["message_id"] + 1000,
                                                 "document": document}}),
        admin.id,
    )
    assert M.FILE_TOO_LARGE.format(mb=5) in [c.params["text"] for c in calls]
    assert services.repository.find_members("T002") == []


async def test_others_are_answered_while_a_big_roster_is_imported(bot, services):  # noqa: F811
    admin = await register(bot, services, 5005, "B001")
    teacher = await register(bot, services, 1001, "T001")
    roster = "姓名,工号,单位,角色\n" + "".join(f"老师{n},X{n:05d},城关一小,教师\n" for n in range(5000))
    before = len(bot.api.calls)
    bot.api.send_document(admin, "roster.csv", roster.encode())
    await asyncio.sleep(0.05)  # the import is under way
    bot.api.send_text(teacher, "/help")
    await bot.api.wait_for_async(lambda c: c.ok and c.params.get("chat_id") == 5005 and "名册导入完成" in c.params["text"],
                                 timeout=60)
    replies = [c for c in bot.api.calls[before:] if c.ok and c.method == "sendMessage"]
    order = [c.params["chat_id"] for c in replies]
    # PTB alone handles one update at a time: /help would wait for the whole import.
    assert order.index(1001) < order.index(5005), order
