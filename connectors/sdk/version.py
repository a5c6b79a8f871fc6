"""The SDK version and the compatibility rule for plug-ins.

A plug-in declares ``sdk_version`` — the SDK version it was built for. It runs when the major
versions are equal and the plug-in's minor is not newer than this SDK's (it may use features a
newer minor added). Anything else is refused at load time, before any config is read.
"""

from __future__ import annotations

from .exceptions import IncompatiblePluginError

__all__ = ["SDK_VERSION", "check_compatible"]

# 1.1: Record.timestamp on what sinks read; 1.2: delivery confirmations (Sink.delivers,
# SinkConfig.confirmation_topic); 1.3: connectors.sdk.http (HttpSource), and Source.commit
# gets a record the broker refused with its error; 1.4: the HTTP source serves TLS and mutual
# TLS (Sender.organisation_number), read deadlines, connection cap, per-sender quota
SDK_VERSION = "1.4.0"


def _major_minor(version: str, what: str) -> tuple[int, int]:
    parts = version.split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise IncompatiblePluginError(
            f"{what}: sdk_version {version!r} is not a version like '1.0'"
        ) from None


def check_compatible(plugin: str, built_for: str, sdk: str = SDK_VERSION) -> None:
    """Raise IncompatiblePluginError unless ``plugin`` (built for ``built_for``) can run."""
    want = _major_minor(built_for, plugin)
    have = _major_minor(sdk, "samflyt")
    if want[0] != have[0]:
        raise IncompatiblePluginError(
            f"connector {plugin!r} was built for connector SDK {built_for}, but this samflyt has "
            f"SDK {sdk}; major versions differ. Rebuild the plug-in against SDK {have[0]}.x "
            f"or run a samflyt with SDK {want[0]}.x."
        )
    if want[1] > have[1]:
        raise IncompatiblePluginError(
            f"connector {plugin!r} needs connector SDK {built_for}, newer than this samflyt's "
            f"SDK {sdk}. Upgrade samflyt."
        )
