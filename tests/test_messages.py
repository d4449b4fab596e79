"""The user-facing strings: one name, one string, and every name the code reads exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from knowledge import messages as M

ROOT = Path(__file__).resolve().parents[1]
TOPICS = sorted((ROOT / "knowledge" / "messages").glob("*.py"))


def test_no_two_topic_files_define_the_same_name():
    # The package re-exports every topic file with *, so a name defined twice would silently shadow one.
    seen: dict[str, str] = {}
    for path in TOPICS:
        if path.name == "__init__.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    assert target.id not in seen, f"{target.id} in {path.name} and {seen[target.id]}"
                    seen[target.id] = path.name
    assert len(seen) > 600


def read_messages() -> set[str]:
    """Return every M.NAME the code and the templates read."""
    used = set()
    for package in ("bot", "knowledge", "indexer"):
        for path in [*(ROOT / package).rglob("*.py"), *(ROOT / package).rglob("*.html")]:
            used |= set(re.findall(r"\bM\.([A-Z][A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    return used


def test_every_message_the_code_reads_exists():
    used = read_messages()
    assert len(used) > 400
    assert sorted(name for name in used if not hasattr(M, name)) == []


def test_every_message_is_read_somewhere():
    used = read_messages()
    assert sorted(name for name in dir(M) if name.isupper() and name not in used) == []
