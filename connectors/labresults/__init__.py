"""Lab and radiology results (Svarrapport) by file drop and HTTP: the EPJ connectors with their
own names and a default that accepts result reports only (``SVAR_*``) — reuse, not a copy."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ..epj.filedrop import FileDropConfig, FileDropSource
from ..epj.http_ingest import HttpIngestConfig, HttpIngestSource

__all__ = ["LabFileDropConfig", "LabFileDropSource", "LabHttpConfig", "LabHttpSource"]

RESULT_TYPES = ["SVAR_*"]


class LabFileDropConfig(FileDropConfig):
    accept_types: list[str] | None = Field(default_factory=lambda: list(RESULT_TYPES))


class LabHttpConfig(HttpIngestConfig):
    accept_types: list[str] | None = Field(default_factory=lambda: list(RESULT_TYPES))


class LabFileDropSource(FileDropSource):
    name: ClassVar[str] = "lab-filedrop"
    config_model: ClassVar[type[FileDropConfig]] = LabFileDropConfig


class LabHttpSource(HttpIngestSource):
    name: ClassVar[str] = "lab-http"
    config_model: ClassVar[type[HttpIngestConfig]] = LabHttpConfig
