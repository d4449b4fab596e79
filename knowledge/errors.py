"""Errors the core raises; the CLI and the bot turn them into one clear line at the edge."""

from __future__ import annotations

from knowledge import messages as M


class XuefaError(Exception):
    """Base of every error whose message is meant for the user as it is."""


class SourceError(XuefaError):
    """A law file or study list that cannot be read as it stands."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.reason = message
        where = M.WHERE_LINE.format(path=path, line=line) if line else M.WHERE_FILE.format(path=path)
        super().__init__(f"{where}：{message}")


class CitationError(XuefaError):
    """A citation naming a law or article that is not in the store."""


class NotFound(XuefaError):
    """A law, study list, member or round that does not exist."""


class ValidationError(XuefaError):
    """Rows of an uploaded file that failed validation; nothing was imported."""

    def __init__(self, path: str, problems: list[tuple[int, str]]):
        self.path = str(path)
        self.problems = problems
        lines = [M.ROWS_REJECTED.format(path=path, n=len(problems))]
        lines += [M.ROW_PROBLEM.format(row=row, reason=reason) for row, reason in problems[:50]]
        if len(problems) > 50:
            lines.append(M.MORE_ROWS.format(n=len(problems) - 50))
        super().__init__("\n".join(lines))
