"""Discovery of connectors through the ``samflyt.connectors`` entry-point group.

The entry-point name is the connector name; its value points at the connector class. Built-in
connectors register exactly like a municipality's package does.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from .sdk import ENTRY_POINT_GROUP, Connector, Sink, Source
from .sdk.exceptions import ConnectorNotFoundError, IncompatiblePluginError
from .sdk.version import check_compatible

__all__ = ["available", "load"]

AnyConnector = type[Connector]  # type: ignore[type-arg]


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    """Names of every registered connector, sorted."""
    return sorted(_entry_points())


def load(name: str) -> AnyConnector:
    """The connector class registered as ``name``, checked for SDK compatibility."""
    ep = _entry_points().get(name)
    if ep is None:
        known = ", ".join(available()) or "none"
        raise ConnectorNotFoundError(f"no connector named {name!r} (registered: {known})")
    cls = ep.load()
    if not (isinstance(cls, type) and issubclass(cls, (Source, Sink))):
        raise IncompatiblePluginError(f"entry point {name!r} is not a Source or Sink subclass")
    if getattr(cls, "name", None) != name:
        raise IncompatiblePluginError(
            f"entry point {name!r} points at a connector named {getattr(cls, 'name', None)!r}"
        )
    check_compatible(name, getattr(cls, "sdk_version", "0"))
    return cls
