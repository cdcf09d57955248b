"""An asyncio JSON-RPC client: pipelined calls, matched to responses by id, each with
its own timeout.

::

    client = await Client.connect("127.0.0.1", 1234, profile="1.0")
    try:
        product = await client.call("Arith.Multiply", {"A": 7, "B": 8}, timeout=5)
    finally:
        await client.close()

A call whose response is an error raises :class:`RPCError`; one with no response in
time raises :class:`TimeoutError` (the call is forgotten: a late response is
dropped). If the connection ends or the server breaks the protocol, every pending
call fails with :class:`ConnectionError`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from reference_impls.errors import RemoteProtocolError
from reference_impls.jsonrpc.protocol import CallError, ClientConnection, Profile, Response

__all__ = ["DEFAULT_TIMEOUT", "Client", "RPCError"]

#: Seconds a call waits for its response unless told otherwise.
DEFAULT_TIMEOUT = 10.0


class RPCError(Exception):
    """The server answered a call with an error."""

    def __init__(self, error: CallError) -> None:
        super().__init__(error.message)
        self.error = error


class Client:
    """One connection to a JSON-RPC server. Use :meth:`connect`."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, profile: Profile
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._core = ClientConnection(profile)
        self._waiting: dict[int, asyncio.Future[Response]] = {}
        self._failure: BaseException | None = None
        self._task = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def connect(
        cls, host: str, port: int, *, profile: Profile = "1.0", timeout: float = DEFAULT_TIMEOUT
    ) -> Client:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        return cls(reader, writer, profile)

    async def call(self, method: str, params: Any, *, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Call ``method`` with ``params``; its result, or :class:`RPCError`."""
        if self._failure is not None:
            raise ConnectionError(f"the connection has ended: {self._failure}")
        rid = self._core.call(method, params)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = future
        try:
            self._writer.write(self._core.data_to_send())
            response = await asyncio.wait_for(future, timeout)
        finally:
            self._waiting.pop(rid, None)
        if response.error is not None:
            raise RPCError(response.error)
        return response.result

    async def notify(self, method: str, params: Any) -> None:
        """Send a 2.0 notification (no response)."""
        self._core.notify(method, params)
        self._writer.write(self._core.data_to_send())
        await self._writer.drain()

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
        self._fail(ConnectionError("the client closed"))

    async def _read_loop(self) -> None:
        try:
            while data := await self._reader.read(65536):
                for response in self._core.receive_data(data):
                    future = self._waiting.get(response.id)
                    if future is not None and not future.done():
                        future.set_result(response)
            self._fail(ConnectionError("the server closed the connection"))
        except (OSError, RemoteProtocolError) as exc:
            self._fail(ConnectionError(f"the connection failed: {exc}"))

    def _fail(self, exc: BaseException) -> None:
        self._failure = self._failure or exc
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(exc)
