import subprocess
import sys


def test_sdk_imports_neither_faust_nor_streams() -> None:
    code = (
        "import sys, connectors.sdk, connectors.sdk.testing, connectors.sdk.http\n"
        "import connectors.registry\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('faust', 'streams', 'mode'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_sdk_exceptions_derive_from_the_root_exception() -> None:
    from connectors.sdk import BadRecordError, ConnectorConfigError, RetriableError
    from schemas.errors import SamflytError

    for cls in (BadRecordError, ConnectorConfigError, RetriableError):
        assert issubclass(cls, SamflytError)
    assert RetriableError.retriable and not BadRecordError.retriable
