"""Throwaway certificates for the TLS tests, made with the ``openssl`` command: a CA, a server
certificate for the loopback address, and client certificates whose subject carries an
organisation number as a Norwegian virksomhetssertifikat does."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory: Path, name: str = "ca") -> Pair:
    if shutil.which("openssl") is None:
        pytest.skip("the TLS tests make their certificates with the openssl command")
    _openssl(
        "req",
        "-x509",
        *_EC,
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.pem",
        "-days",
        "1",
        "-subj",
        f"/CN=samflyt test {name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )
    return Pair(directory / f"{name}.pem", directory / f"{name}.key")


def issue(ca: Pair, directory: Path, name: str, subject: str, extensions: str) -> Pair:
    """A certificate for ``subject`` (``/C=NO/O=…``) signed by ``ca``."""
    _openssl(
        "req",
        "-new",
        *_EC,
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.csr",
        "-subj",
        subject,
        cwd=directory,
    )
    (directory / f"{name}.ext").write_text(extensions)
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        str(ca.cert),
        "-CAkey",
        str(ca.key),
        "-CAcreateserial",
        "-out",
        f"{name}.pem",
        "-days",
        "1",
        "-extfile",
        f"{name}.ext",
        cwd=directory,
    )
    return Pair(directory / f"{name}.pem", directory / f"{name}.key")


def server_certificate(ca: Pair, directory: Path) -> Pair:
    return issue(
        ca,
        directory,
        "server",
        "/CN=localhost",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )


def client_certificate(ca: Pair, directory: Path, name: str, subject: str) -> Pair:
    return issue(ca, directory, name, subject, "extendedKeyUsage=clientAuth\n")


def client_context(ca: Pair, client: Pair | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca.cert))
    if client is not None:
        context.load_cert_chain(str(client.cert), str(client.key))
    return context
