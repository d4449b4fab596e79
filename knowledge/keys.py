"""The deployment's secret key and the keyed hashes made with it.

Invite codes (and retired Telegram accounts) are stored as HMAC-SHA256 digests under a key kept
in the data directory, not in the database: a copied database alone lets nobody test guesses
offline. The key file is created on first use, readable by its owner only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from knowledge.private import write_private

KEY_BYTES = 32


class Keyring:
    """Makes keyed digests with one secret key."""

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("a key of at least 16 bytes")
        self._key = key

    @classmethod
    def load(cls, path: Path) -> Keyring:
        """Read the key file, creating it (mode 0600) with a fresh random key when it does not exist."""
        path = Path(path)
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it meanwhile: use theirs
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(secrets.token_bytes(KEY_BYTES))
        key = path.read_bytes()
        if len(key) < 16:  # an empty or cut file: replace it rather than hash with a weak key
            key = secrets.token_bytes(KEY_BYTES)
            write_private(path, key)
        return cls(key)

    @classmethod
    def ephemeral(cls) -> Keyring:
        """Return a keyring with a random key that lives as long as the process (in-memory stores, tests)."""
        return cls(secrets.token_bytes(KEY_BYTES))

    def digest(self, purpose: str, value: str) -> str:
        """Return the keyed digest of a value for one purpose (a code and an account never share digests)."""
        return hmac.new(self._key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()

    def code(self, code: str) -> str:
        """Return the digest of an invite code as typed (case, spaces and dashes ignored)."""
        return self.digest("invite", re.sub(r"[\s-]", "", code).upper())

    def account(self, channel: str, external_id: str) -> str:
        """Return the digest of an account on a channel (the same as before for Telegram's)."""
        return self.digest(channel, str(external_id))
