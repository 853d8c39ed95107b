"""The key behind pseudonymous identifiers on downstream topics (kept out of logs and Prefect)."""

from __future__ import annotations

import os
import secrets

from infra.settings import Settings

KEY_BYTES = 32


def pseudonym_key(settings: Settings) -> bytes:
    """``CASESYNC_PSEUDONYM_KEY``, else a random key created once in the state folder (0600)."""
    if settings.pseudonym_key is not None:
        return settings.pseudonym_key.get_secret_value().encode()
    path = settings.state_dir / "pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(KEY_BYTES))
    return path.read_text().strip().encode()
