"""TLS served by the HTTP source itself, optionally with client certificates (mutual TLS), so
health data is never plaintext between the sender and the process that authenticates it."""

from __future__ import annotations

import ssl

from pydantic import BaseModel, ConfigDict, Field, FilePath

__all__ = ["TlsConfig", "server_ssl_context"]


class TlsConfig(BaseModel):
    """The server's certificate and key; with ``client_ca_file`` set, client certificates
    issued under it are verified (and required unless ``require_client_certificate`` is off,
    for a transition where some senders still use only tokens)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cert_file: FilePath = Field(description="PEM: the server certificate (and chain)")
    key_file: FilePath = Field(description="PEM: its private key")
    client_ca_file: FilePath | None = Field(
        None, description="PEM: the CAs whose client certificates are accepted (mutual TLS)"
    )
    require_client_certificate: bool = True


def server_ssl_context(tls: TlsConfig) -> ssl.SSLContext:
    """A server context: TLS 1.2 or newer, the configured certificate, and client
    certificates verified against ``client_ca_file`` when it is set."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    if tls.client_ca_file is not None:
        context.load_verify_locations(cafile=str(tls.client_ca_file))
        context.verify_mode = (
            ssl.CERT_REQUIRED if tls.require_client_certificate else ssl.CERT_OPTIONAL
        )
    return context
