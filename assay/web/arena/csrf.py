"""CSRF tokens for the arena's one POST: a per-browser session id in a SameSite=Strict,
HttpOnly cookie, and a form token that is an HMAC of it under a per-server secret. A forged
cross-site POST carries neither the cookie (SameSite) nor a token that matches it."""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "assay_arena"


class CsrfGuard:
    """Issues and checks tokens; the secret lives only in this process."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    @staticmethod
    def new_session() -> str:
        return secrets.token_urlsafe(24)

    def token(self, session: str) -> str:
        return hmac.new(self._secret, session.encode("utf-8"), hashlib.sha256).hexdigest()

    def valid(self, session: str | None, token: str | None) -> bool:
        if not session or not token:
            return False
        return hmac.compare_digest(self.token(session), token)
