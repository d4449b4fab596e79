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


def test_every_message_the_code_reads_exists():
    used = set()
    for package in ("bot", "knowledge", "indexer"):
        for path in (ROOT / package).rglob("*.py"):
            used |= set(re.findall(r"\bM\.([A-Z][A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
        for path in (ROOT / package).rglob("*.html"):
            used |= set(re.findall(r"\bM\.([A-Z][A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    assert len(used) > 400
    assert sorted(name for name in used if not hasattr(M, name)) == []
