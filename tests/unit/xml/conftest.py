from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"


def sample(rel: str) -> bytes:
    return (CORPUS / rel).read_bytes()


@pytest.fixture
def corpus() -> Path:
    return CORPUS
