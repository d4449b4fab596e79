"""Files that hold personal data or secrets are created readable by their owner only (mode 0600)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

PRIVATE = 0o600


def open_private(path: str | Path, mode: str = "wb", **kwargs) -> IO:
    """Open a file for writing, creating it (or narrowing an existing one) to mode 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    os.fchmod(fd, PRIVATE)  # an existing file keeps its old mode through O_CREAT: narrow it too
    return open(fd, mode, **kwargs)


def write_private(path: str | Path, data: bytes) -> Path:
    """Write bytes to a file only its owner can read; return the path."""
    with open_private(path) as handle:
        handle.write(data)
    return Path(path)
