"""The transaction log: each message's journey through samflyt, one row per step.

:mod:`.rows` maps pipeline records to rows (pure), :mod:`.store` writes them to PostgreSQL,
:mod:`.trace` reads one message's journey back for ``samflyt trace``.
"""
