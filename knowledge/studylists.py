"""Quarterly study lists (学法清单) from YAML: which laws, which dates, which focus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from knowledge import messages as M
from knowledge.citations import LawCatalog
from knowledge.errors import CitationError, NotFound, SourceError
from knowledge.models import Focus, StudyList, StudyListLaw, normalize_heading
from knowledge.numerals import ArticleNo
from knowledge.sources import read_manifest, read_text

if TYPE_CHECKING:
    from knowledge.store import Repository

EXAMPLE = Path(__file__).with_name("data") / "example-studylist.yaml"
_LINE = "__line__"


class _Items(list):
    """A YAML sequence that remembers the line of each item."""

    lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers lines for error messages and keeps dates as text."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node, deep=False):
        items = _Items(super().construct_sequence(node, deep=deep))
        items.lines = [child.start_mark.line + 1 for child in node.value]
        return items


# Dates stay strings so that a bad date reaches our own message instead of a YAML traceback.
_LineLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


def parse_study_lists(path: Path, repository: Repository) -> list[StudyList]:
    """Read a YAML file of study lists and check every law and focus against the store."""
    path = Path(path)
    text = read_text(path)
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise SourceError(str(path), M.STUDYLIST_YAML.format(reason=reason), mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise SourceError(str(path), M.STUDYLIST_TYPE.format(field="quarters", expected="列表"), 1)
    entries = data.get("quarters", data.get("lists"))
    if not isinstance(entries, list) or not entries:
        raise SourceError(str(path), M.STUDYLIST_FIELD.format(field="quarters"), data.get(_LINE))
    manifest = _manifest(path, data)
    catalog = LawCatalog(repository.law_titles())
    year = data.get("year")
    lists: list[StudyList] = []
    for entry in entries:
        study_list = _study_list(path, entry, year, catalog, repository, manifest)
        if any(existing.id == study_list.id for existing in lists):
            raise SourceError(str(path), M.STUDYLIST_DUPLICATE_ID.format(id=study_list.id), entry.get(_LINE))
        lists.append(study_list)
    return lists


def _manifest(path: Path, data: dict) -> dict[str, str]:
    name = data.get("manifest")
    if not isinstance(name, str):
        return {}
    manifest = (path.parent / name).resolve()
    return {file: row.title for file, row in read_manifest(manifest).items()} if manifest.exists() else {}


def _require(path: Path, entry: dict, field: str, line: int | None) -> str:
    value = entry.get(field)
    if value is None or value == "":
        raise SourceError(str(path), M.STUDYLIST_FIELD.format(field=field), line)
    return str(value)


def _date(path: Path, value, line: int | None) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise SourceError(str(path), M.STUDYLIST_DATE.format(value=value), line) from None


def _study_list(
    path: Path, entry: dict, year: int | None, catalog: LawCatalog, repository: Repository, manifest: dict[str, str]
) -> StudyList:
    if not isinstance(entry, dict):
        raise SourceError(str(path), M.STUDYLIST_TYPE.format(field="quarters", expected="由清单组成的列表"))
    line = entry.get(_LINE)
    start = _date(path, _require(path, entry, "start", line), line)
    end = _date(path, _require(path, entry, "end", line), line)
    if end < start:
        raise SourceError(str(path), M.STUDYLIST_DATES_ORDER.format(start=start, end=end), line)
    laws = entry.get("laws")
    if not isinstance(laws, list) or not laws:
        raise SourceError(str(path), M.STUDYLIST_FIELD.format(field="laws"), line)
    return StudyList(
        id=_require(path, entry, "id", line),
        title=_require(path, entry, "title", line),
        start=start,
        end=end,
        year=int(year) if isinstance(year, int) else None,
        source=str(path),
        laws=[
            _law_entry(path, item, item_line, catalog, repository, manifest)
            for item, item_line in zip(laws, getattr(laws, "lines", [line] * len(laws)))
        ],
    )


def _law_entry(
    path: Path, item, parent_line: int | None, catalog: LawCatalog, repository: Repository, manifest: dict[str, str]
) -> StudyListLaw:
    if isinstance(item, str):
        item = {"title": item}
    if not isinstance(item, dict):
        raise SourceError(str(path), M.STUDYLIST_TYPE.format(field="laws", expected="法规列表"), parent_line)
    line = item.get(_LINE, parent_line)
    name = item.get("title") or item.get("file") or item.get("law")
    if not name:
        raise SourceError(str(path), M.STUDYLIST_FIELD.format(field="file 或 title"), line)
    title = _resolve_law(str(name), catalog, repository, manifest)
    if title is None:
        raise SourceError(str(path), M.STUDYLIST_LAW_MISSING.format(name=name), line)
    focus = _focus(path, item.get("focus") or {}, line, title, repository)
    return StudyListLaw(title, focus)


def _resolve_law(name: str, catalog: LawCatalog, repository: Repository, manifest: dict[str, str]) -> str | None:
    by_file = repository.law_title_by_file(name)
    if by_file:
        return by_file
    for candidate in (manifest.get(name), name):
        if not candidate:
            continue
        try:
            return catalog.resolve(candidate)
        except CitationError:
            continue
    return None


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _focus(path: Path, data: dict, line: int | None, title: str, repository: Repository) -> Focus:
    if not isinstance(data, dict):
        raise SourceError(str(path), M.STUDYLIST_TYPE.format(field="focus", expected="chapter/articles 映射"), line)
    line = data.get(_LINE, line)
    law = repository.law(title)
    headings = {heading for article in law.articles for heading in article.path}
    focus = Focus()
    for chapter in _as_list(data.get("chapter")) + _as_list(data.get("chapters")):
        normalized = normalize_heading(chapter)
        if normalized not in headings:
            raise SourceError(str(path), M.STUDYLIST_CHAPTER_MISSING.format(law=law.short_title, chapter=chapter), line)
        focus.chapters.append(normalized)
    numbers = {article.number for article in law.articles}
    for value in _as_list(data.get("articles")):
        low, high = _range(path, value, line)
        for end in (low, high):
            if end not in numbers:
                raise SourceError(str(path), M.STUDYLIST_RANGE_MISSING.format(law=law.short_title, label=end.label), line)
        focus.ranges.append((low, high))
    return focus


def _range(path, value: str, line) -> tuple[ArticleNo, ArticleNo]:
    parts = [p for p in value.replace("—", "-").replace("－", "-").replace("至", "-").split("-")]
    try:
        if len(parts) == 1:
            number = ArticleNo.parse(parts[0])
            return number, number
        if len(parts) == 2:
            low, high = ArticleNo.parse(parts[0]), ArticleNo.parse(parts[1])
            if low <= high:
                return low, high
    except ValueError:
        pass
    raise SourceError(str(path), M.STUDYLIST_RANGE_BAD.format(value=value), line)


def current_list(lists: list[StudyList], day: dt.date, override: str | None = None) -> StudyList | None:
    """Return the list whose dates include the day, or the one named by override."""
    if override:
        for study_list in lists:
            if study_list.id == override:
                return study_list
        raise NotFound(M.STUDYLIST_NOT_FOUND.format(id=override))
    for study_list in lists:
        if study_list.includes(day.isoformat()):
            return study_list
    return None


def scope_titles(lists: list[StudyList]) -> list[str]:
    """Return the titles of every law on any study list, each once."""
    titles: list[str] = []
    for study_list in lists:
        for entry in study_list.laws:
            if entry.title not in titles:
                titles.append(entry.title)
    return titles
