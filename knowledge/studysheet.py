"""The spreadsheet form of a 学法清单: a row per law, columns 季度, 法规名称, 重点章节 (CSV or XLSX).

Optional columns: 开始日期, 结束日期 (default: the quarter's first and last day), 清单名称 (default
“2024年第一季度学法清单”). 季度 is 2024Q1, 2024-Q1, 2024年第一季度 or 2024年一季度; an empty 季度
cell continues the row above (merged cells). 重点章节 lists chapters (第三章, or 第三章 学校保护; a
编 of 民法典 as 第一编 总则 / 第一章) and article ranges (第五条-第十条, 第五条至第十条, 第五十七条),
separated by ；、， or new lines. Every error names the file and the row.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge import messages as M
from knowledge.citations import LawCatalog
from knowledge.errors import SourceError
from knowledge.models import StudyList, StudyListLaw, normalize_heading
from knowledge.numerals import cn_to_int
from knowledge.sources import ZIP_MAGIC, read_bytes
from knowledge.studylists import _focus, _resolve_law, parse_study_lists
from knowledge.tables import read_table

if TYPE_CHECKING:
    from knowledge.store import Repository

QUARTER = "季度"
LAW = "法规名称"
FOCUS = "重点章节"
START, END, TITLE = "开始日期", "结束日期", "清单名称"
TEMPLATE = Path(__file__).with_name("data") / "studylist-template.csv"
YAML_TEMPLATE = Path(__file__).with_name("data") / "studylist-template.yaml"
_QUARTER = re.compile(r"^\s*(\d{4})\s*(?:年\s*)?(?:-|_|\s)*(?:[Qq]\s*([1-4])|第?\s*([一二三四1-4])\s*季度?)\s*$")
_ARTICLE = re.compile(r"第[〇零一二三四五六七八九十百千0-9]+条(?:之[一二三四五六七八九十]+)?")
_SPLIT = re.compile(r"[；;、，,\n]+")
_CHAPTER_LABEL = re.compile(r"^第[〇零一二三四五六七八九十百千0-9]+[编章节]")


def read_study_lists(path: Path, repository: Repository) -> list:
    """Read study lists from YAML or from the spreadsheet form, decided by the file's content and name."""
    path = Path(path)
    data = read_bytes(path)
    if data.startswith(ZIP_MAGIC) or path.suffix.lower() in {".csv", ".tsv", ".xlsx"}:
        return parse_study_sheet(path, repository)
    return parse_study_lists(path, repository)


def _quarter(path: Path, value: str, line: int) -> tuple[int, int]:
    match = _QUARTER.match(value)
    if not match:
        raise SourceError(str(path), M.SHEET_QUARTER_BAD.format(value=value), line)
    digit = match.group(2) or match.group(3)
    number = int(digit) if digit.isdigit() else cn_to_int(digit)
    return int(match.group(1)), number


def _day(path: Path, value: str, line: int) -> str:
    text = value.strip().replace("/", "-").replace(".", "-").split("T")[0].split(" ")[0]
    text = re.sub(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$", r"\1-\2-\3", text)
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise SourceError(str(path), M.STUDYLIST_DATE.format(value=value), line) from None


def _bounds(year: int, quarter: int) -> tuple[str, str]:
    first = dt.date(year, 3 * quarter - 2, 1)
    after = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first.isoformat(), (after - dt.timedelta(days=1)).isoformat()


def split_focus(path: Path, text: str, line: int, title: str, repository: Repository) -> dict:
    """Turn a 重点章节 cell into the YAML focus form ({chapters, articles}), each chapter resolved in the law.

    A chapter named within its 编 (第四编 人格权 / 第一章) becomes the range of its articles: the
    same chapter heading text recurs in other 编 of the 民法典, and a range covers this one only.
    """
    law = repository.law(title)
    headings = list(dict.fromkeys(heading for article in law.articles for heading in article.path))
    chapters, articles = [], []
    for part in (p.strip() for p in _SPLIT.split(text or "")):
        if not part:
            continue
        if _ARTICLE.search(part) and not _CHAPTER_LABEL.match(part):
            articles.append(part)
            continue
        wanted = [normalize_heading(p) for p in re.split(r"\s*/\s*", part) if p.strip()]
        if len(wanted) == 1:
            chapters.append(_one(path, _matches(wanted[0], headings), line, law.short_title, part))
            continue
        inside = law.articles
        for label in wanted:
            heading = _one(path, _matches(label, list(dict.fromkeys(h for a in inside for h in a.path))),
                           line, law.short_title, part)
            inside = [a for a in inside if heading in a.path]
        articles.append(f"{inside[0].number.label}-{inside[-1].number.label}")
    return {"chapters": chapters, "articles": articles}


def _matches(label: str, headings: list[str]) -> list[str]:
    """Return the headings a label means: the exact heading, or those with that label (第三章) alone."""
    return [h for h in headings if h == label] or [h for h in headings if h.split(" ")[0] == label]


def _one(path: Path, found: list[str], line: int, law: str, part: str) -> str:
    if not found:
        raise SourceError(str(path), M.STUDYLIST_CHAPTER_MISSING.format(law=law, chapter=part), line)
    if len(found) > 1:
        raise SourceError(str(path), M.SHEET_CHAPTER_AMBIGUOUS.format(law=law, chapter=part, n=len(found)), line)
    return found[0]


def parse_study_sheet(path: Path, repository: Repository, rows: list[tuple[int, list[str]]] | None = None
                      ) -> list[StudyList]:
    """Read the spreadsheet form of 学法清单 into study lists, every law and focus checked against the store.

    rows, when given, are the sheet's rows already read (the web's list builder sends its form so).
    """
    path = Path(path)
    table = read_table(path, [QUARTER, LAW], [FOCUS, START, END, TITLE], rows)
    if not table.rows:
        raise SourceError(str(path), M.FILE_EMPTY)
    catalog = LawCatalog(repository.law_titles())
    lists: dict[str, StudyList] = {}
    quarter_text = ""
    for line, row in table.rows:
        quarter_text = row.get(QUARTER) or quarter_text  # an empty (merged) cell continues the row above
        if not quarter_text:
            raise SourceError(str(path), M.SHEET_QUARTER_EMPTY, line)
        year, quarter = _quarter(path, quarter_text, line)
        list_id = f"{year}-Q{quarter}"
        name = row.get(LAW, "").strip().strip("《》")
        if not name:
            raise SourceError(str(path), M.SHEET_LAW_EMPTY, line)
        title = _resolve_law(name, catalog, repository, {})
        if title is None:
            raise SourceError(str(path), M.STUDYLIST_LAW_MISSING.format(name=name), line)
        focus = _focus(path, split_focus(path, row.get(FOCUS, ""), line, title, repository), line, title, repository)
        if list_id not in lists:
            start, end = _bounds(year, quarter)
            start = _day(path, row[START], line) if row.get(START) else start
            end = _day(path, row[END], line) if row.get(END) else end
            if end < start:
                raise SourceError(str(path), M.STUDYLIST_DATES_ORDER.format(start=start, end=end), line)
            lists[list_id] = StudyList(
                id=list_id, title=row.get(TITLE) or M.SHEET_LIST_TITLE.format(year=year, q=M.QUARTER_NAMES[quarter]),
                start=start, end=end, year=year, source=str(path), laws=[],
            )
        study_list = lists[list_id]
        if any(entry.title == title for entry in study_list.laws):
            raise SourceError(str(path), M.SHEET_LAW_TWICE.format(law=title, id=list_id), line)
        study_list.laws.append(StudyListLaw(title, focus))
    return list(lists.values())
