"""Exit 0 once a Kafka broker answers a Metadata request listing at least one broker, and
every partition it holds has a leader.

A restarted broker answers metadata before it has loaded its partitions: clients started then
(the demo's registry feed, a worker) met dozens of NotLeaderForPartition errors in their first
seconds. Standard library only, so the infra scripts work before the virtualenv exists. Speaks
the Metadata API v0 wire format (api key 3; an empty topic list asks for every topic).
"""

from __future__ import annotations

import socket
import struct
import sys
import time


def metadata(host: str, port: int, timeout: float = 2.0) -> tuple[int, int]:
    """(brokers listed, partitions without a leader) from one Metadata v0 request."""
    client_id = b"samflyt-infra"
    body = struct.pack(">hhih", 3, 0, 1, len(client_id)) + client_id + struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _recv_exact(sock, 4))[0]
        payload = _recv_exact(sock, size)
    reader = _Reader(payload)
    reader.int32()  # correlation id
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
    while time.monotonic() < deadline:
        try:
            brokers, leaderless = metadata(host, port)
            if brokers > 0 and leaderless == 0:
                return 0
        except (OSError, struct.error):
            pass
        time.sleep(0.3)
    return 1


if __name__ == "__main__":
    sys.exit(main())
