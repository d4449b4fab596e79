"""Read law texts (Markdown, plain text, .docx) into Law objects, article by article."""

from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import messages as M
from knowledge.errors import SourceError
from knowledge.models import Article, Law, normalize_heading
from knowledge.numerals import CN_DIGITS, ArticleNo, cn_to_int

SUFFIXES = (".md", ".markdown", ".txt", ".docx")
_CN = CN_DIGITS
ARTICLE_START = re.compile(rf"^第([{_CN}]+|[0-9]+)条(?:之([{_CN}]+))?(?:\s+(.*)|$)")
_STRUCTURAL = re.compile(rf"^第[{_CN}0-9]+(分编|编|章|节)(?:\s*\S.*)?$")
_STRUCTURAL_WORDS = {"附则", "总则", "分则"}
_LEVEL_BY_WORD = {"编": 1, "分编": 2, "章": 3, "节": 4}
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_KEEP_LINE = 60  # headings are short; a long line starting 第X章 is prose.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files (.doc, .xls)
ZIP_MAGIC = b"PK\x03\x04"  # .docx and .xlsx


@dataclass
class ParsedLaw:
    """A law read from a source, with the warnings found on the way."""

    law: Law
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Heading:
    level: int
    text: str
    structural: bool


def read_bytes(path: Path) -> bytes:
    """Read a file's bytes, refusing a missing or empty file."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError(str(path), M.FILE_NOT_FOUND) from None
    if not data.strip():
        raise SourceError(str(path), M.FILE_EMPTY)
    return data


def read_text(path: Path) -> str:
    """Read a text file as UTF-8 or GB18030 (GBK), refusing binary content."""
    return decode_text(path, read_bytes(path))


def decode_text(path: Path, data: bytes) -> str:
    """Decode a file's bytes as UTF-8 or GB18030 (GBK), refusing binary content."""
    if b"\x00" in data[:65536] or data.startswith(OLE_MAGIC) or data.startswith(ZIP_MAGIC):
        raise SourceError(str(path), M.FILE_BINARY)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    raise SourceError(str(path), M.FILE_ENCODING)


def _looks_like_text(text: str) -> bool:
    # GB18030 decodes almost any byte string; real text has few control characters.
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls <= len(text) // 200


def read_docx(path: Path) -> str:
    """Read the paragraphs of a .docx file as lines of text."""
    if not path.exists():
        raise SourceError(str(path), M.FILE_NOT_FOUND)
    head = path.read_bytes()[:8]
    if not head:
        raise SourceError(str(path), M.FILE_EMPTY)
    if head.startswith(OLE_MAGIC):
        raise SourceError(str(path), M.DOC_RENAMED)
    import docx  # python-docx is only needed for .docx sources
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SourceError(str(path), M.DOCX_INVALID.format(reason=exc)) from None
    return "\n".join(p.text for p in document.paragraphs)


def read_source(path: Path) -> str:
    """Read any supported law file into text."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return read_docx(path)
    if suffix in (".md", ".markdown", ".txt"):
        return read_text(path)
    raise SourceError(str(path), M.FILE_UNSUPPORTED.format(suffix=suffix or "（无扩展名）"))


def _heading(raw: str, stack: list[_Heading]) -> _Heading | None:
    stripped = raw.strip()
    if stripped.startswith("#"):
        level = len(stripped) - len(stripped.lstrip("#"))
        text = normalize_heading(stripped)
        return _Heading(level, text, _is_structural(text))
    if len(stripped) > _KEEP_LINE or stripped[-1:] in "。；，：:;,":
        return None
    text = normalize_heading(stripped)
    match = _STRUCTURAL.match(text)
    if match:
        return _Heading(_LEVEL_BY_WORD[match.group(1)], text, True)
    if text in _STRUCTURAL_WORDS:
        return _Heading(stack[0].level if stack else _LEVEL_BY_WORD["章"], text, True)
    if text in ("序言", "目录") or text.startswith(("附件", "附录")):
        return _Heading(stack[0].level if stack else _LEVEL_BY_WORD["章"], text, False)
    return None


def _is_structural(text: str) -> bool:
    return bool(_STRUCTURAL.match(text)) or text in _STRUCTURAL_WORDS


def infer_kind(title: str) -> str:
    """Guess the kind of a law from its title (宪法/法律/行政法规/部门规章/地方性法规)."""
    if title.endswith("宪法"):
        return "宪法"
    if re.match(r"^.{2,8}?(省|自治区|市|县)(?!政府)", title) and title.endswith(("条例", "办法", "规定")):
        return "地方性法规"
    if title.endswith(("法", "法典")):
        return "法律"
    if title.endswith("条例"):
        return "行政法规"
    if title.endswith(("办法", "规定", "细则", "规则")):
        return "部门规章"
    return "其他"


def _dates(header: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in header:
        match = _DATE.search(line)
        if not match:
            continue
        date = f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}"
        found.setdefault("promulgated", date)
        if any(word in line for word in ("修正", "修订", "修改")):
            found["amended"] = date
        if "施行" in line and "effective" not in found:
            found["effective"] = date
    found.setdefault("amended", found.get("promulgated", ""))
    return found


def parse_law_text(text: str, path: str) -> ParsedLaw:
    """Parse the usual layout of an official text: title, headings, then 第X条 articles."""
    title = ""
    header: list[str] = []
    stack: list[_Heading] = []
    skipping = False
    articles: list[tuple[ArticleNo, int, tuple[str, ...], list[str]]] = []
    seen: dict[ArticleNo, int] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().lstrip("\ufeff").strip()
        if not line:
            continue
        if not title:
            if ARTICLE_START.match(line):
                raise SourceError(path, M.NO_TITLE, lineno)
            title = re.sub(r"\s+", "", line.lstrip("#"))
            continue
        heading = _heading(line, stack)
        if heading:
            if heading.structural:
                while stack and stack[-1].level >= heading.level:
                    stack.pop()
                stack.append(heading)
            skipping = not heading.structural
            if articles:
                articles[-1][3].append("")  # a heading closes the open article
            continue
        match = ARTICLE_START.match(line)
        if match and not skipping:
            try:
                number = ArticleNo(cn_to_int(match.group(1)), cn_to_int(match.group(2)) if match.group(2) else 0)
            except (ValueError, KeyError):
                raise SourceError(path, M.ARTICLE_NUMBER_BAD.format(text=line.split()[0]), lineno) from None
            if number in seen:
                raise SourceError(path, M.DUPLICATE_ARTICLE.format(label=number.label, first=seen[number]), lineno)
            seen[number] = lineno
            first = (match.group(3) or "").strip()
            articles.append((number, lineno, tuple(h.text for h in stack), [first] if first else []))
        elif skipping:
            continue
        elif articles:
            if articles[-1][3] and articles[-1][3][-1] == "":
                continue  # text after a non-article heading, e.g. an appendix
            articles[-1][3].append(line)
        else:
            header.append(line)
    if not title:
        raise SourceError(path, M.FILE_EMPTY)
    if not articles:
        raise SourceError(path, M.NO_ARTICLES)
    law = Law(title=title, kind=infer_kind(title), source=path, source_file=Path(path).name, **_dates(header))
    warnings = _numbering_warnings(title, articles)
    for number, _, chapter_path, paragraphs in articles:
        body = "\n".join(p for p in paragraphs if p)
        law.articles.append(Article(number=number, text=body, path=chapter_path, law_title=title))
    return ParsedLaw(law, warnings)


def _numbering_warnings(title: str, articles: list) -> list[str]:
    warnings = []
    for (prev, _, _, _), (number, lineno, _, _) in zip(articles, articles[1:]):
        if number < prev:
            warnings.append(M.ORDER_WARNING.format(title=title, prev=prev.label, label=number.label, line=lineno))
        elif number not in (ArticleNo(prev.num, prev.sub + 1), ArticleNo(prev.num + 1, 0)):
            warnings.append(M.GAP_WARNING.format(title=title, prev=prev.label, label=number.label, line=lineno))
    return warnings


@dataclass
class ManifestRow:
    """Metadata of one file as a folder's manifest.csv records it."""

    title: str = ""
    kind: str = ""
    issuer: str = ""
    amended: str = ""
    source: str = ""


def read_manifest(path: Path) -> dict[str, ManifestRow]:
    """Read a folder's manifest.csv (file,title,kind,issuer,last_amended,source_repo,source_path)."""
    text = read_text(path)
    reader = csv.DictReader(text.splitlines())
    missing = {"file", "title"} - set(reader.fieldnames or [])
    if missing:
        raise SourceError(str(path), M.MANIFEST_BAD.format(columns="、".join(sorted(missing))), 1)
    rows = {}
    for row in reader:
        source = "/".join(filter(None, [row.get("source_repo", ""), row.get("source_path", "")]))
        rows[row["file"]] = ManifestRow(
            title=row.get("title", ""),
            kind=row.get("kind", ""),
            issuer=row.get("issuer", ""),
            amended=row.get("last_amended", ""),
            source=source,
        )
    return rows


def collect_files(paths: list[Path]) -> list[Path]:
    """Expand folders into their law files, sorted, keeping explicit files as given."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                raise SourceError(str(path), M.FOLDER_EMPTY)
            files.extend(found)
        else:
            files.append(path)
    return files


def load_files(paths: list[Path]) -> tuple[list[ParsedLaw], list[SourceError]]:
    """Parse every law file under the given paths; return the laws and every error found."""
    parsed: list[ParsedLaw] = []
    errors: list[SourceError] = []
    manifests: dict[Path, dict[str, ManifestRow]] = {}
    try:
        files = collect_files(paths)
    except SourceError as exc:
        return [], [exc]
    for file in files:
        try:
            result = parse_law_text(read_source(file), str(file))
            folder = file.parent
            if folder not in manifests:
                manifest = folder / "manifest.csv"
                manifests[folder] = read_manifest(manifest) if manifest.exists() else {}
            _apply_manifest(result.law, manifests[folder].get(file.name))
            parsed.append(result)
        except SourceError as exc:
            errors.append(exc)
    return parsed, errors


def _apply_manifest(law: Law, row: ManifestRow | None) -> None:
    if row is None:
        return
    law.kind = row.kind or law.kind
    law.issuer = row.issuer or law.issuer
    law.amended = row.amended or law.amended
    law.source = row.source or law.source
