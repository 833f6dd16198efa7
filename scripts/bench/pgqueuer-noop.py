"""PgQueuer no-op throughput: enqueue N jobs, then time one consumer draining them.

    python pgqueuer-noop.py DSN N      → one JSON line on stdout

Installs PgQueuer's schema in the database first. The consumer is one QueueManager with
PgQueuer's defaults (batch_size 10, no concurrency limit) in drain mode, and a no-op
entrypoint; the time is from the start of `run()` until it returns (queue empty, every
status flushed). Enqueueing is timed separately, in batches of 10 000 (one statement each).
"""
import asyncio
import json
import sys
import time

import asyncpg
from pgqueuer import AsyncpgDriver, Queries, QueueManager
from pgqueuer.domain.types import QueueExecutionMode

dsn, n = sys.argv[1], int(sys.argv[2])


async def main() -> None:
    conn = await asyncpg.connect(dsn)
    queries = Queries(AsyncpgDriver(conn))
    await queries.install()

    start = time.perf_counter()
    chunk = 10_000
    for first in range(0, n, chunk):
        size = min(chunk, n - first)
        await queries.enqueue(["noop"] * size, [str(first + i).encode() for i in range(size)], [0] * size)
    enqueue_seconds = time.perf_counter() - start
    queued = await conn.fetchval("SELECT count(*) FROM pgqueuer")
    assert queued == n, f"expected {n} queued jobs, found {queued}"
    await conn.close()

    conn = await asyncpg.connect(dsn)
    qm = QueueManager(Queries(AsyncpgDriver(conn)))
    calls = 0
    first_call = last_call = None

    @qm.entrypoint("noop")
    async def noop(job) -> None:
        nonlocal calls, first_call, last_call
        calls += 1
        last_call = time.perf_counter()
        if first_call is None:
            first_call = last_call

    start = time.perf_counter()
    await qm.run(mode=QueueExecutionMode.drain)
    drain_seconds = time.perf_counter() - start
    if not conn.is_closed():
        await conn.close()

    conn = await asyncpg.connect(dsn)
    left = await conn.fetchval("SELECT count(*) FROM pgqueuer")
    logged = await conn.fetchval("SELECT count(*) FROM pgqueuer_log WHERE status = 'successful'")
    await conn.close()
    assert calls == n, f"the entrypoint ran {calls} times for {n} jobs"
    assert left == 0, f"{left} jobs left in the queue"
    print(json.dumps({"jobs": n, "enqueue_seconds": enqueue_seconds, "drain_seconds": drain_seconds,
                      "first_call_seconds": first_call - start, "last_call_seconds": last_call - start,
                      "calls": calls, "logged_successful": logged}))


asyncio.run(main())
