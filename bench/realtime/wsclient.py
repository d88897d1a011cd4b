"""A minimal RFC 6455 websocket client for the load generator: text frames, pings, close.

aiohttp's client spent about 0.4 ms of CPU per connect and more per message than the server
under test; on a 2-core machine that CPU is taken from the server. This one does the upgrade
and the framing on asyncio streams and nothing else (no extensions, no fragmentation on send).
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from urllib.parse import urlsplit

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
_ZERO_MASK = b"\x00\x00\x00\x00"  # masked with a zero key: the payload goes out unchanged


class WebSocketClosed(Exception):
    pass


class WebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    @classmethod
    async def connect(cls, url: str) -> WebSocket:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            writer.close()
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        return cls(reader, writer)

    async def recv(self) -> str:
        """The next text message; answers pings; raises `WebSocketClosed` at the end."""
        while True:
            try:
                first, second = await self._reader.readexactly(2)
                size = second & 0x7F
                if size == 126:
                    (size,) = struct.unpack("!H", await self._reader.readexactly(2))
                elif size == 127:
                    (size,) = struct.unpack("!Q", await self._reader.readexactly(8))
                payload = await self._reader.readexactly(size) if size else b""
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                raise WebSocketClosed from exc
            opcode = first & 0x0F
            if opcode == TEXT:
                return payload.decode()
            if opcode == PING:
                self._send(PONG, payload)
            elif opcode == CLOSE:
                raise WebSocketClosed

    def send(self, text: str) -> None:
        self._send(TEXT, text.encode())

    def _send(self, opcode: int, payload: bytes) -> None:
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        self._writer.write(head + _ZERO_MASK + payload)

    async def close(self) -> None:
        if not self._writer.is_closing():
            self._send(CLOSE, struct.pack("!H", 1000))
            self._writer.close()
        try:
            await self._writer.wait_closed()
        except ConnectionError:
            pass
