"""The core journal (Kjernejournal) change feed from a PostgreSQL outbox."""

from .feed import OutboxConfig, OutboxRow, OutboxSource, map_row

__all__ = ["OutboxConfig", "OutboxRow", "OutboxSource", "map_row"]
