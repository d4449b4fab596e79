"""Storage of laws, their articles and the quarterly study lists that name them."""

from __future__ import annotations

import json
from collections.abc import Iterable

from knowledge import messages as M
from knowledge.errors import NotFound
from knowledge.models import Article, Focus, ImportReport, Law, LawSummary, StudyList, StudyListLaw
from knowledge.numerals import ArticleNo
from knowledge.store.database import Database

_ARTICLE_SQL = (
    "SELECT a.id, a.key, a.path, a.text, l.title AS law_title, a.position "
    "FROM articles a JOIN laws l ON l.id = a.law_id"
)


def _article(id: int, key: int, path: str, text: str, law_title: str, position: int = 0) -> Article:  # noqa: A002
    return Article(number=ArticleNo.from_key(key), text=text, path=tuple(json.loads(path)), law_title=law_title, id=id)


class LawStore(Database):
    """Laws and articles (imported all or nothing, diffed article by article) and study lists."""

    # --- laws ---------------------------------------------------------------------------

    def import_laws(self, laws: Iterable[Law]) -> list[ImportReport]:
        """Store laws in one transaction: new ones added, changed ones diffed, unchanged ones left."""
        with self.transaction():
            return [self._upsert_law(law) for law in laws]

    def _upsert_law(self, law: Law) -> ImportReport:
        row = self.record("SELECT id, content_hash FROM laws WHERE title = ?", [law.title])
        values = {
            "title": law.title,
            "kind": law.kind,
            "issuer": law.issuer,
            "promulgated": law.promulgated,
            "effective": law.effective,
            "amended": law.amended,
            "status": law.status,
            "source": law.source,
            "source_file": law.source_file,
            "content_hash": law.content_hash,
        }
        if row is None:
            law_id = self.db["laws"].insert({**values, "imported_at": self.now()}).last_pk
            self._insert_articles(law_id, law.articles)
            return ImportReport(law.title, "new", added=[a.label for a in law.articles], source=law.source)
        meta_changed = self._update_law_row(row["id"], values)
        if row["content_hash"] == law.content_hash:
            return ImportReport(law.title, "changed" if meta_changed else "unchanged", source=law.source)
        return self._replace_articles(row["id"], law)

    def _update_law_row(self, law_id: int, values: dict) -> bool:
        current = self.db["laws"].get(law_id)
        changed = {k: v for k, v in values.items() if current[k] != v and k != "content_hash"}
        if changed or current["content_hash"] != values["content_hash"]:
            self.db["laws"].update(law_id, {**values, "imported_at": self.now()})
        return bool(changed)

    @staticmethod
    def _article_values(position: int, article: Article) -> dict:
        return {
            "number": article.label,
            "key": article.number.key,
            "position": position,
            "path": json.dumps(list(article.path), ensure_ascii=False),
            "text": article.text,
            "content_hash": article.content_hash,
        }

    def _insert_articles(self, law_id: int, articles: list[Article]) -> None:
        self.db["articles"].insert_all(
            {"law_id": law_id, **self._article_values(i, a)} for i, a in enumerate(articles)
        )

    def _replace_articles(self, law_id: int, law: Law) -> ImportReport:
        old = {
            row["key"]: row
            for row in self.records("SELECT id, key, content_hash FROM articles WHERE law_id = ?", [law_id])
        }
        report = ImportReport(law.title, "changed", source=law.source)
        new_keys = {a.number.key for a in law.articles}
        for key, row in old.items():
            if key not in new_keys:
                self.db.execute("DELETE FROM articles WHERE id = ?", [row["id"]])
                report.removed.append(ArticleNo.from_key(key).label)
        for position, article in enumerate(law.articles):
            values = self._article_values(position, article)
            existing = old.get(article.number.key)
            if existing is None:
                self.db["articles"].insert({"law_id": law_id, **values})
                report.added.append(article.label)
            elif existing["content_hash"] != article.content_hash:
                self.db["articles"].update(existing["id"], values)
                report.changed.append(article.label)
            else:
                self.db.execute("UPDATE articles SET position = ? WHERE id = ?", [position, existing["id"]])
        return report

    def remove_law(self, title: str) -> int:
        """Delete a law and its articles; return how many articles went with it."""
        with self.transaction():
            law_id = self.scalar("SELECT id FROM laws WHERE title = ?", [title])
            if law_id is None:
                raise NotFound(M.LAW_UNKNOWN.format(name=title))
            count = self.scalar("SELECT count(*) FROM articles WHERE law_id = ?", [law_id])
            self.db.execute("DELETE FROM study_list_laws WHERE law_id = ?", [law_id])
            self.db.execute("DELETE FROM laws WHERE id = ?", [law_id])
            return count

    def law_summaries(self) -> list[LawSummary]:
        """List every law with its article count, in title order."""
        rows = self.records(
            "SELECT l.id, l.title, l.kind, l.issuer, l.status, l.amended, l.source, l.source_file, "
            "count(a.id) AS article_count, max(a.key) AS max_key FROM laws l LEFT JOIN articles a ON a.law_id = l.id "
            "GROUP BY l.id ORDER BY l.title"
        )
        return [
            LawSummary(**{k: v for k, v in row.items() if k != "max_key"},
                       max_article=ArticleNo.from_key(row["max_key"]) if row["max_key"] else None)
            for row in rows
        ]

    def laws_marker(self) -> tuple:
        """Return a cheap marker that changes whenever a law is imported, changed or removed."""
        return tuple(self.db.execute("SELECT count(*), max(id), max(imported_at) FROM laws").fetchone())

    def law_titles(self) -> list[str]:
        """Return every law title in the store."""
        return [row["title"] for row in self.records("SELECT title FROM laws ORDER BY title")]

    def law_title_by_file(self, file_name: str) -> str | None:
        """Return the title of the law imported from this file name, if any."""
        return self.scalar("SELECT title FROM laws WHERE source_file = ? ORDER BY id LIMIT 1", [file_name])

    def law(self, title: str, with_articles: bool = True) -> Law | None:
        """Return a law by exact title, with its articles in order."""
        law = self.record(
            "SELECT id, title, kind, issuer, promulgated, effective, amended, status, source, source_file "
            "FROM laws WHERE title = ?",
            [title],
            Law,
        )
        if law is not None and with_articles:
            law.articles = self.articles(law_ids=[law.id])
        return law

    def articles(self, law_ids: list[int] | None = None, ids: list[int] | None = None) -> list[Article]:
        """Return articles, all or of some laws or by id, in law and article order."""
        if law_ids is None and ids is None:
            rows = self.records(_ARTICLE_SQL)
        else:
            column, wanted = ("a.law_id", law_ids) if law_ids is not None else ("a.id", ids)
            rows = self.in_chunks(_ARTICLE_SQL, column, wanted)
        rows.sort(key=lambda row: (row["law_title"], row["position"]))
        return [_article(**row) for row in rows]

    def article(self, law_title: str, number: ArticleNo) -> Article | None:
        """Return one article of a law by number."""
        return self.record(_ARTICLE_SQL + " WHERE l.title = ? AND a.key = ?", [law_title, number.key], _article)

    def article_count(self, law_title: str) -> tuple[int, ArticleNo | None]:
        """Return how many articles a law has and its last article number."""
        row = self.record(
            "SELECT count(a.id) AS n, max(a.key) AS last FROM articles a JOIN laws l ON l.id = a.law_id "
            "WHERE l.title = ?",
            [law_title],
        )
        return row["n"], ArticleNo.from_key(row["last"]) if row["last"] else None

    def law_ids(self, titles: Iterable[str]) -> list[int]:
        """Return the ids of laws with these titles."""
        return [row["id"] for row in self.in_chunks("SELECT id FROM laws", "title", titles)]

    # --- study lists --------------------------------------------------------------------

    def save_study_lists(self, lists: list[StudyList]) -> None:
        """Store study lists, replacing lists with the same ids, in one transaction."""
        with self.transaction():
            for study_list in lists:
                self.db.execute("DELETE FROM study_list_laws WHERE list_id = ?", [study_list.id])
                self.db["study_lists"].upsert(
                    {
                        "id": study_list.id,
                        "year": study_list.year,
                        "title": study_list.title,
                        "start": study_list.start,
                        "end": study_list.end,
                        "source": study_list.source,
                        "loaded_at": self.now(),
                    },
                    pk="id",
                )
                for position, entry in enumerate(study_list.laws):
                    law_id = self.scalar("SELECT id FROM laws WHERE title = ?", [entry.title])
                    self.db["study_list_laws"].insert(
                        {
                            "list_id": study_list.id,
                            "position": position,
                            "law_id": law_id,
                            "focus": json.dumps(entry.focus.to_json(), ensure_ascii=False),
                        }
                    )

    def study_lists(self) -> list[StudyList]:
        """Return every study list with its laws, in date order."""
        lists = {
            row["id"]: StudyList(**row)
            for row in self.records('SELECT id, year, title, start, "end", source FROM study_lists ORDER BY start, id')
        }
        for row in self.records(
            "SELECT s.list_id, l.title, s.focus, (SELECT count(*) FROM articles a WHERE a.law_id = l.id) AS n "
            "FROM study_list_laws s JOIN laws l ON l.id = s.law_id ORDER BY s.list_id, s.position"
        ):
            lists[row["list_id"]].laws.append(
                StudyListLaw(row["title"], Focus.from_json(json.loads(row["focus"])), row["n"])
            )
        return list(lists.values())
