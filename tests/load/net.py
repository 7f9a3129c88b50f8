"""The load suite's network: a round-robin balancer in front of the app hosts and cuttable TCP proxies in
front of PostgreSQL and the object store, all in one asyncio process of their own (so the load generator's
threads do not slow the traffic down). A control port takes lines ``cut NAME`` / ``restore NAME``.

    python -m tests.load.net CONTROL_PORT NAME=LISTEN_PORT:HOST:PORT[,HOST:PORT...] ...
"""
from __future__ import annotations

import asyncio
import socket
import sys


class Forwarder:
    """Forwards each connection to the next target that accepts it (round robin); cut: drops all, refuses new."""

    def __init__(self, targets: list[tuple[str, int]]) -> None:
        self.targets = targets
        self.turn = 0
        self.up = True
        self.open: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.transport.abort()
            return
        for _ in self.targets:
            host, port = self.targets[self.turn % len(self.targets)]
            self.turn += 1
            try:
                target_reader, target_writer = await asyncio.open_connection(host, port)
                break
            except OSError:
                continue  # a host that is down: the next one
        else:
            writer.transport.abort()
            return
        pair = {writer, target_writer}
        self.open |= pair
        await asyncio.gather(_pump(reader, target_writer), _pump(target_reader, writer))
        self.open -= pair

    def cut(self) -> None:
        self.up = False
        for writer in list(self.open):
            writer.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main(control_port: int, specs: list[str]) -> None:
    forwarders: dict[str, Forwarder] = {}
    for spec in specs:
        name, rest = spec.split("=", 1)
        listen, targets = rest.split(":", 1)
        forwarder = forwarders[name] = Forwarder([(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1]))
                                                  for t in targets.split(",")])
        await asyncio.start_server(forwarder.handle, "127.0.0.1", int(listen), reuse_address=True)

    async def control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := (await reader.readline()).decode().split():
            verb, name = line
            if verb == "cut":
                forwarders[name].cut()
            else:
                forwarders[name].up = True
            writer.write(b"ok\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(control, "127.0.0.1", control_port, reuse_address=True)
    await server.serve_forever()


def command(control_port: int, verb: str, name: str) -> None:
    """Tell the network process to ``cut`` or ``restore`` the proxy ``name``."""
    with socket.create_connection(("127.0.0.1", control_port), timeout=5) as conn:
        conn.sendall(f"{verb} {name}\n".encode())
        assert conn.recv(16).startswith(b"ok")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2:]))
