"""The outgoing queue under each socket: asyncio.Queue's semantics where Engine.IO relies on
them, and the direct lane only when it cannot reorder anything."""

from __future__ import annotations

import asyncio

import pytest
from engineio import packet as eio_packet

from server.realtime.direct import HIGH_WATER, DirectQueue, ws_frame


class Transport:
    """Records writes; `buffered` plays the bytes the kernel has not taken yet."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.buffered = 0

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return self.buffered


class Socket:
    upgraded, closing, closed = True, False, False


def message(text: str) -> eio_packet.Packet:
    return eio_packet.Packet(eio_packet.MESSAGE, text)


async def test_it_behaves_like_a_queue_for_engineio():
    queue = DirectQueue()
    queue.put_nowait(message("a"))
    await queue.put(message("b"))
    assert queue.qsize() == 2 and not queue.empty()
    assert (await queue.get()).data == "a"
    assert queue.get_nowait().data == "b"
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()
    waiting = queue.get()  # a future: asyncio.wait_for needs no task for it
    assert isinstance(waiting, asyncio.Future) and not waiting.done()
    queue.put_nowait(None)
    assert await waiting is None
    joined = asyncio.ensure_future(queue.join())
    await asyncio.sleep(0)
    assert not joined.done()  # three handed out, none done
    for _ in range(3):
        queue.task_done()
    await asyncio.wait_for(joined, 1)


async def test_a_cancelled_wait_does_not_swallow_a_packet():
    queue = DirectQueue()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)
    queue.put_nowait(message("kept"))
    assert queue.get_nowait().data == "kept"


async def test_the_direct_lane_opens_only_while_the_writer_waits_and_the_socket_drains():
    queue, transport = DirectQueue(), Transport()
    queue.bind(Socket(), transport)  # type: ignore[arg-type]
    queue.put_nowait(message("no writer yet"))  # nobody waits: queued
    assert transport.writes == [] and queue.qsize() == 1
    assert (await queue.get()).data == "no writer yet"
    waiting = queue.get()  # the writer is idle now
    queue.put_many([message("x"), message("y")])
    assert transport.writes == [ws_frame(b"4x") + ws_frame(b"4y")]  # one write, framed
    assert queue.direct_writes == 2 and not waiting.done()
    queue.put_nowait(eio_packet.Packet(eio_packet.PING))  # pings wake the writer
    assert (await waiting).packet_type == eio_packet.PING
    transport.buffered = HIGH_WATER  # backed up: the rest waits its turn in order
    waiting = queue.get()
    queue.put_many([message("1"), message("2")])
    assert (await waiting).data == "1" and queue.get_nowait().data == "2"
    assert len(transport.writes) == 1


def test_frames_carry_their_length():
    assert ws_frame(b"hi") == b"\x81\x02hi"
    assert ws_frame(b"a" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert ws_frame(b"a" * 70000)[:10] == b"\x81\x7f" + (70000).to_bytes(8, "big")
