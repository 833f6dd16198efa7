"""A loopback TCP proxy to the cluster's unix socket that can freeze the network.

Baton connects to 127.0.0.1:PORT; every connection is forwarded to DIR/.s.PGSQL.5432.
`freeze()` stops forwarding in both directions WITHOUT closing any socket: nothing is read
or written any more (the kernel buffers fill up, the peers see silence), new connections are
accepted but not forwarded, and a peer's close is not passed on either. `thaw()` delivers
whatever was held and goes on. Runs an asyncio loop on a thread of its own.
"""

import asyncio
import threading


class FreezableProxy:
    def __init__(self, unix_path):
        self.unix_path = unix_path
        self.port = None
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self._ready = threading.Event()
        self._server = None
        self._thawed = None
        self._tasks = set()

    # -- control (from any thread) ---------------------------------------------------------

    def start(self):
        self.thread.start()
        if not self._ready.wait(10) or self.port is None:
            raise RuntimeError("the TCP proxy did not start")
        return self.port

    def freeze(self):
        self._call(lambda: self._thawed.clear())

    def thaw(self):
        self._call(lambda: self._thawed.set())

    @property
    def frozen(self):
        return self._thawed is not None and not self._thawed.is_set()

    def close(self):
        if not self.thread.is_alive():
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)
        try:
            fut.result(10)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _call(self, fn):
        done = threading.Event()

        def wrapped():
            fn()
            done.set()
        self.loop.call_soon_threadsafe(wrapped)
        done.wait(5)

    # -- the loop ---------------------------------------------------------------------------

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self._thawed = asyncio.Event()
        self._thawed.set()
        self._server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    async def _shutdown(self):
        self._thawed.set()
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.sleep(0)

    async def _handle(self, client_reader, client_writer):
        task = asyncio.current_task()
        self._tasks.add(task)
        self.connections += 1
        server_writer = None
        try:
            await self._thawed.wait()
            server_reader, server_writer = await asyncio.open_unix_connection(self.unix_path)
            pumps = [asyncio.ensure_future(self._pump(client_reader, server_writer)),
                     asyncio.ensure_future(self._pump(server_reader, client_writer))]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for p in pumps:
                    p.cancel()
            await self._thawed.wait()  # a close is not passed on while frozen either
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            for w in (client_writer, server_writer):
                if w is not None:
                    try:
                        w.close()
                    except Exception:
                        pass
            self._tasks.discard(task)

    async def _pump(self, reader, writer):
        try:
            while True:
                await self._thawed.wait()
                data = await reader.read(65536)
                if not data:
                    return
                await self._thawed.wait()
                writer.write(data)
                await writer.drain()
        except (OSError, ConnectionError):
            return
