"""Exit 0 once a Kafka broker answers a Metadata request listing at least one broker.

Standard library only, so the infra scripts work before the virtualenv exists. Speaks the
Metadata API v0 wire format (api key 3): enough to know the broker is registered and serving.
"""

from __future__ import annotations

import socket
import struct
import sys
import time


def metadata_brokers(host: str, port: int, timeout: float = 2.0) -> int:
    client_id = b"samflyt-infra"
    body = struct.pack(">hhih", 3, 0, 1, len(client_id)) + client_id + struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _recv_exact(sock, 4))[0]
        payload = _recv_exact(sock, size)
    _correlation, brokers = struct.unpack(">ii", payload[:8])
    return int(brokers)


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
    while time.monotonic() < deadline:
        try:
            if metadata_brokers(host, port) > 0:
                return 0
        except OSError:
            pass
        time.sleep(0.3)
    return 1


if __name__ == "__main__":
    sys.exit(main())
