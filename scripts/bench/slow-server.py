"""The fallback of slow-server.c (bench row 4b, where no C compiler is found): a local HTTP/1.1 keep-alive server that answers every request after a fixed delay.

    python3 slow-server.py PORT DELAY_MS

Answers any request with a small JSON document DELAY_MS after it arrived (a timer per
request on one asyncio loop, so requests on different connections wait concurrently), except
GET /__count, which answers at once with the number of delayed requests served so far (the
benchmark's correctness check). asyncio Protocol rather than streams: less Python per
request, so the answer comes closer to DELAY_MS when many timers fire together.
"""
import asyncio
import sys

port, delay = int(sys.argv[1]), int(sys.argv[2]) / 1000.0
served = 0
BODY = b'{"stars": 42, "language": "Swift"}'
REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
         b"Connection: keep-alive\r\n\r\n" % len(BODY)) + BODY


class Handler(asyncio.Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.buffer = b""
        self.loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            parts = head.split(b" ", 2)
            if len(parts) > 1 and parts[1] == b"/__count":
                body = b"%d" % served
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            else:
                self.loop.call_later(delay, self.answer)

    def answer(self) -> None:
        global served
        if not self.transport.is_closing():
            served += 1
            self.transport.write(REPLY)


async def main() -> None:
    server = await asyncio.get_running_loop().create_server(Handler, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


asyncio.run(main())
