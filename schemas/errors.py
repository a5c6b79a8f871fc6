"""The root exception of samflyt and the error taxonomy of the message layer.

Every error samflyt raises on purpose derives from :class:`SamflytError`. Callers branch on the
``retriable`` flag (as aiokafka does), not on long ``except`` lists: a retriable error may succeed
when tried again (a broker or endpoint is down); a non-retriable one never will (the input is bad).
"""

from __future__ import annotations

from schemas.redaction import mask_ids_in


class SamflytError(Exception):
    """Root of every samflyt exception."""

    retriable: bool = False


class ConfigError(SamflytError):
    """A setting is missing or invalid; raised at start-up, naming the setting."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"invalid setting {setting}: {problem}")
        self.setting = setting
        self.problem = problem


class MessageError(SamflytError):
    """An incoming message cannot be accepted.

    ``code`` is the AppRec error code (kodeverk 8221, e.g. ``T01``, ``E10``) the sender is told;
    ``detail`` is a human-readable explanation free of personal data: anything shaped like a
    national id is masked here, so parser text or an echoed MsgId or element value cannot carry
    one to the sender's AppRec, an HTTP answer, a dead letter or a log.
    """

    code: str = "X99"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        detail = mask_ids_in(detail)
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
