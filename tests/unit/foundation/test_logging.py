"""Every log line is one JSON object, the Faust worker's own lines too."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest
from mode.utils.logging import setup_logging

from connectors.sdk.logs import logging_config


@pytest.mark.usefixtures("restored_logging")
def test_the_worker_logs_json_lines_after_faust_sets_up_logging(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # what faust.Worker does as it starts, with the configuration the worker hands it
    setup_logging(loglevel="INFO", logging_config=logging_config("INFO"))
    logging.getLogger("faust.worker").info("[^Worker]: Starting...\n+table+", extra={"n": 3})
    logging.getLogger("streams.db").debug("not at INFO")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["logger"] == "faust.worker" and entry["n"] == 3
    assert entry["msg"] == "[^Worker]: Starting...\n+table+"
    assert datetime.fromisoformat(entry["ts"]).utcoffset() is not None
