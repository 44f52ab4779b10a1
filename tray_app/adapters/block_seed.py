"""A first scan's finished blocks, built beside its one write instead of after it.

A first scan into an empty ledger holds every counted response in memory just before it
writes them. A forked child sorts them by time and runs the one block rule on them
(`BlockBuilder.feed_rows`, as the block cache's first build does on SQLite's sorted read)
on the other core while this process writes; the finished blocks come back through a
pipe and are stored in the same transaction as the responses. The block cache then reads
only the open block's responses: on 1 GB, ~0.4 s on one core after the write is gone.

The blocks are stored only if the ledger held no response before that transaction and
holds exactly the resets the child used: another process counting in between (the tray,
a second command) leaves the cache to be built from the ledger as before. Only where a
fork is safe (POSIX, one thread: the CLI); elsewhere nothing changes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import threading
from collections.abc import Iterable, Mapping, Sequence, Set
from operator import itemgetter
from typing import TYPE_CHECKING

from tray_app.adapters.ledger import Ledger, LedgerError
from tray_app.usage.model import Entry, ResetNotice

if TYPE_CHECKING:
    from tray_app.adapters.block_cache import BlockCache
    from tray_app.adapters.scanner import FirstWrite
    from tray_app.usage.block_model import Block
    from tray_app.usage.pricing import PriceTable

log = logging.getLogger(__name__)
# An Entry's fields as `block_bulk.Row` orders them: ts, model, input, cache_5m, cache_1h,
# cache_read, output, web_search, speed, geo, cost_usd.
_row = itemgetter(1, 3, 4, 6, 7, 8, 5, 9, 10, 11, 12)
_by_time = itemgetter(1, 0)  # ties in key order, as the cache's sorted read of the table


def finished_blocks(
    cache: BlockCache, entries: Iterable[Entry], resets: Iterable[ResetNotice]
) -> list[Block]:
    """The closed blocks of these responses: what the cache's first build stores."""
    from tray_app.usage.block_builder import BlockBuilder
    from tray_app.usage.block_model import storable

    ordered = sorted(entries, key=_by_time)
    builder = BlockBuilder(cache.price, resets)

    def held(first: float, count: int) -> list[Entry]:
        return ordered[len(ordered) - count :]

    builder.feed_rows(map(_row, ordered), cache.usd, held)
    return builder.closed[: storable(builder.closed, builder.open_first)]


class Seed:
    """A child process building a history's finished blocks; `store` takes them."""

    def __init__(self, cache: BlockCache, pid: int, fd: int, resets: Set[ResetNotice]) -> None:
        self.cache = cache
        self.pid = pid
        self.fd = fd
        self.resets = resets

    def store(self, ledger: Ledger, was_empty: bool) -> bool:
        """Inside the responses' write transaction: store the blocks if they are the
        ledger's (it was empty before, its resets are the child's). Whether they were."""
        blocks = self._collect()
        if blocks is None or not was_empty or set(ledger.load_resets()) != self.resets:
            return False
        try:
            with ledger.writing():  # a savepoint: if this fails, the responses still go in
                self.cache.store_seeded(blocks)
        except LedgerError:
            raise  # the file itself (full, gone): the whole write fails, as it would have
        except Exception as exc:  # (a cache the next command builds from the ledger instead)
            log.warning("first-scan blocks not stored: %r", exc)
            return False
        return True

    def _collect(self) -> list[Block] | None:
        """The child's blocks (None if it failed), the child reaped."""
        chunks = []
        try:
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        finally:
            self.close()
        try:
            blocks: list[Block] = pickle.loads(b"".join(chunks))
        except Exception as exc:  # a child that died half-way: the cache builds as before
            log.warning("first-scan blocks not used: %r", exc)
            return None
        return blocks

    def close(self) -> None:
        """Stop and reap the child (idempotent): never a zombie, never an orphan."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.pid > 0:
            pid, self.pid = self.pid, 0
            # Gone already when its pipe was read to the end; else (a failed write) not needed.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def first_write(ledger: Ledger, prices: PriceTable, roots: Sequence[str]) -> FirstWrite:
    """`Engine.first_write` for a report that reads the block cache (made only if needed)."""

    def begin(entries: Mapping[str, Entry], resets: Set[ResetNotice]) -> Seed | None:
        from tray_app.adapters.block_cache import BlockCache

        return start(BlockCache(ledger, prices, prices.cost, None, roots), entries, resets)

    return begin


def can_fork() -> bool:
    """Whether a child may be forked here: POSIX, one thread (threads, as the tray's, may
    hold locks a forked child would wait on forever)."""
    return os.name == "posix" and threading.active_count() == 1


def start(cache: BlockCache, entries: Mapping[str, Entry], resets: Set[ResetNotice]) -> Seed | None:
    """Fork a child that builds the finished blocks of `entries` (None where unsafe)."""
    if not can_fork():
        return None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no SQLite, no atexit, no buffered output of the parent's
        status = 1
        try:
            os.close(read_end)
            data = pickle.dumps(finished_blocks(cache, entries.values(), resets), protocol=5)
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return Seed(cache, pid, read_end, frozenset(resets))
