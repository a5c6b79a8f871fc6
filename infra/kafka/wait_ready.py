"""Exit 0 once a Kafka broker answers a Metadata request listing at least one broker, and
every partition it holds has a leader.

A restarted broker answers metadata before it has loaded its partitions: clients started then
(the demo's registry feed, a worker) met dozens of NotLeaderForPartition errors in their first
seconds. Standard library only, so the infra scripts work before the virtualenv exists. Speaks
the Kafka wire format over TLS (verified against the local CA) after a SASL SCRAM-SHA-512 login
as the admin: SaslHandshake v1, SaslAuthenticate v0, then Metadata v0 (an empty topic list asks
for every topic).

Usage: wait_ready.py HOST PORT SECONDS CAFILE ADMIN_PASSWORD_FILE
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import ssl
import struct
import sys
import time

CLIENT_ID = b"samflyt-infra"


class LoginRefused(Exception):
    """The broker answered and refused the admin's credentials: waiting will not help."""


def _request(sock: ssl.SSLSocket, api_key: int, version: int, body: bytes) -> bytes:
    header = struct.pack(">hhih", api_key, version, 1, len(CLIENT_ID)) + CLIENT_ID
    sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    return _recv_exact(sock, size)[4:]  # past the correlation id


def _bytes(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def scram_login(sock: ssl.SSLSocket, user: str, password: str) -> None:
    """SCRAM-SHA-512 (RFC 5802) through Kafka's SaslHandshake and SaslAuthenticate."""
    mechanism = b"SCRAM-SHA-512"
    answer = _request(sock, 17, 1, struct.pack(">h", len(mechanism)) + mechanism)
    if struct.unpack_from(">h", answer)[0] != 0:
        raise LoginRefused("the broker does not offer SCRAM-SHA-512")
    nonce = base64.b64encode(os.urandom(24)).decode()
    first_bare = f"n={user},r={nonce}"
    server_first = _authenticate(sock, f"n,,{first_bare}".encode()).decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    if not fields["r"].startswith(nonce):
        raise LoginRefused("the broker's SCRAM nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac(
        "sha512", password.encode(), base64.b64decode(fields["s"]), int(fields["i"])
    )
    client_key = hmac.new(salted, b"Client Key", "sha512").digest()
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha512(client_key).digest(), auth_message, "sha512").digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True)))
    _authenticate(sock, f"{without_proof},p={proof.decode()}".encode())


def _authenticate(sock: ssl.SSLSocket, data: bytes) -> bytes:
    answer = _request(sock, 36, 0, _bytes(data))
    error = struct.unpack_from(">h", answer)[0]
    reader = _Reader(answer)
    reader.int16()
    message = reader.nullable_string()
    if error != 0:
        raise LoginRefused(f"SASL authentication failed: {message}")
    size = reader.int32()
    return answer[reader.at : reader.at + size]


def metadata(
    host: str, port: int, context: ssl.SSLContext, password: str, timeout: float = 2.0
) -> tuple[int, int]:
    """(brokers listed, partitions without a leader) from one Metadata v0 request."""
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as sock,
    ):
        scram_login(sock, "admin", password)
        payload = _request(sock, 3, 0, struct.pack(">i", 0))
    reader = _Reader(payload)
    brokers = reader.int32()
    for _ in range(brokers):
        reader.int32(), reader.string(), reader.int32()  # node id, host, port
    leaderless = 0
    for _ in range(reader.int32()):  # topics
        topic_error = reader.int16()
        reader.string()
        partitions = reader.int32()
        for _ in range(partitions):
            error, _partition, leader = reader.int16(), reader.int32(), reader.int32()
            reader.skip_int32_array(), reader.skip_int32_array()  # replicas, in-sync replicas
            leaderless += error != 0 or leader < 0
        leaderless += topic_error != 0 and partitions == 0
    return brokers, leaderless


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def _take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return int(value)

    def int16(self) -> int:
        return self._take(">h")

    def int32(self) -> int:
        return self._take(">i")

    def string(self) -> None:
        size = self.int16()
        self.at += max(size, 0)

    def nullable_string(self) -> str | None:
        size = self.int16()
        if size < 0:
            return None
        self.at += size
        return self.data[self.at - size : self.at].decode("utf-8", "replace")

    def skip_int32_array(self) -> None:
        count = self.int32()  # read before the position is updated with it
        self.at += 4 * max(count, 0)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        buf += chunk
    return buf


def main() -> int:
    host, port, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
    context = ssl.create_default_context(cafile=sys.argv[4])
    with open(sys.argv[5], encoding="utf-8") as f:
        password = f.read().strip()
    while time.monotonic() < deadline:
        try:
            brokers, leaderless = metadata(host, port, context, password)
            if brokers > 0 and leaderless == 0:
                return 0
        except LoginRefused as exc:
            print(f"wait_ready: {exc}", file=sys.stderr)
            return 2
        except (OSError, struct.error, KeyError, ValueError):
            pass
        time.sleep(0.3)
    return 1


if __name__ == "__main__":
    sys.exit(main())
