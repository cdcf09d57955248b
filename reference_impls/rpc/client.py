"""asyncio client of Go's net/rpc (gob codec): pipelined calls matched by Seq.

>>> client = await RpcClient.connect("127.0.0.1", 1234)          # rpc.Dial
>>> client = await RpcClient.connect("127.0.0.1", 1234, http=True)  # rpc.DialHTTP
>>> await client.call("Arith.Multiply", Args(7, 8), int, timeout=5)
56

Calls do not wait for each other: each is written at once and its future resolves
when the response with its Seq comes, in whatever order the server answers. A call
given a ``timeout`` fails with :class:`TimeoutError` after that long; a timed-out or
cancelled call is forgotten, and its response, if it ever comes, is dropped. A
response's Error raises :class:`~reference_impls.rpc.protocol.ServerError`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from reference_impls.errors import RemoteProtocolError
from reference_impls.rpc.protocol import (
    DEFAULT_RPC_PATH,
    HTTP_CONNECTED,
    RpcClientConnection,
    ServerError,
    connect_request,
)

__all__ = ["RpcClient", "ShutdownError"]

#: The longest HTTP response head read while dialling over HTTP (bytes).
MAX_HTTP_HEAD = 8192


class ShutdownError(ConnectionError):
    """The connection is gone (Go's ``rpc.ErrShutdown``); pending calls fail with it."""


class RpcClient:
    """One connection to a net/rpc server; calls may be made from many tasks at once."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._core = RpcClientConnection()
        self._futures: dict[int, asyncio.Future[Any]] = {}
        self._closed: BaseException | None = None
        self._task = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        http: bool = False,
        path: str = DEFAULT_RPC_PATH,
        timeout: float = 10.0,
    ) -> RpcClient:
        """``rpc.Dial`` (or ``rpc.DialHTTPPath`` with ``http``), within ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                if http:
                    writer.write(connect_request(path))
                    head = await reader.readuntil(b"\n\n")
                    if head != HTTP_CONNECTED:
                        raise ConnectionError(f"unexpected HTTP response: {head[:200]!r}")
            except BaseException:
                writer.close()
                raise
        return cls(reader, writer)

    async def call(
        self, service_method: str, args: Any, reply: Any, *, timeout: float | None = None
    ) -> Any:
        """Call ``service_method`` with ``args``; the reply, decoded as type ``reply``."""
        if self._closed is not None:
            raise ShutdownError("connection is shut down") from self._closed
        seq, data = self._core.send_request(service_method, args, reply)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._futures[seq] = future
        try:
            self._writer.write(data)
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._futures.pop(seq, None)
            self._core.forget(seq)

    async def _read_loop(self) -> None:
        error: BaseException = ShutdownError("connection is shut down")
        try:
            while data := await self._reader.read(65536):
                for result in self._core.receive_data(data):
                    future = self._futures.pop(result.seq, None)
                    if future is None or future.done():
                        continue
                    if result.error:
                        future.set_exception(ServerError(result.error))
                    else:
                        future.set_result(result.reply)
        except (OSError, RemoteProtocolError) as exc:
            error = exc
        finally:
            self._closed = error
            for future in self._futures.values():
                if not future.done():
                    future.set_exception(ShutdownError(f"connection is shut down: {error}"))
            self._futures.clear()

    async def close(self) -> None:
        """Close the connection; pending calls fail with :class:`ShutdownError`."""
        self._writer.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await self._task
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def __aenter__(self) -> RpcClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
