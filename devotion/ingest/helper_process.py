"""Helper processes for imports, with no import logic of their own: start one that dies with
its parent, receive its messages (ahead, in a thread, when asked), report how it died
(:class:`ReaderCrashed`); and the private scratch folders imports use, swept of what a killed
import left behind."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

# --- Scratch folders --------------------------------------------------------------------------

_SCRATCH = re.compile(r"devotion-import-(\d+)-[0-9a-f]+")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def sweep_scratch(root: Path) -> list[Path]:
    """Remove the scratch folders under ``root`` whose import died (``kill -9``, a power cut)
    and left them behind; returns them. A folder is named after the process that made it, so
    a live import's folder is never touched.

    >>> sweep_scratch(Path("/nonexistent"))
    []
    """
    removed = []
    with contextlib.suppress(OSError):
        for folder in root.iterdir():
            match = _SCRATCH.fullmatch(folder.name)
            if match is None or not folder.is_dir():
                continue
            pid = int(match[1])
            if pid == os.getpid() or _alive(pid):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def scratch_folder(root: Path) -> Iterator[str]:
    """A private folder (0700) under ``root`` for one import's temporary files (DuckDB's
    spill, staged chunks full of order data), removed afterwards. Folders that dead imports
    left behind are swept first (:func:`sweep_scratch`)."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    sweep_scratch(root)
    folder = root / f"devotion-import-{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir(mode=0o700)
    try:
        yield str(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class ReaderCrashed(RuntimeError):
    """The helper process reading the file failed in a way that is not the file's fault."""


def _die_with_parent(parent: int) -> None:
    """Make this helper process end when the process that started it ends, however it ends
    (``kill -9`` included): a helper left behind holds ~300 MB, a database connection and
    the scratch files of the import, forever.

    On Linux the kernel does it (``PR_SET_PDEATHSIG``); everywhere a watching thread does it
    too, within half a second, in case the first is not available."""
    if sys.platform == "linux":
        with contextlib.suppress(Exception):  # no libc to load: the thread below still watches
            import ctypes

            pr_set_pdeathsig = 1
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)  # no clean-up to do: the parent's side owns every file

    threading.Thread(target=watch, name="import-parent-watch", daemon=True).start()


def _guarded(target: Callable[..., None], parent: int, *args: Any) -> None:
    """The helper process's entry: tie its life to ``parent``, then run ``target``."""
    _die_with_parent(parent)
    target(*args)


def helper_context() -> Any:
    """Fork where it is safe (Linux, one thread): instant, nothing to import again; else spawn,
    which works anywhere because this module needs no Django."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class Upcoming:
    """Where :func:`helper_messages` (with ``ahead``) shows the message its thread is
    receiving while the caller works on the one before, for a caller that wants to start on
    it early. Taking a look starts no further receive: no more is held than before."""

    def __init__(self) -> None:
        self._pending: Future[tuple[str, Any]] | None = None

    def next_message(self) -> Future[tuple[str, Any]] | None:
        """The next message, as it is being received (None when there is none)."""
        return self._pending


def helper_messages(
    target: Callable[..., None],
    args: tuple[Any, ...],
    path: Path,
    *,
    ahead: bool = False,
    upcoming: Upcoming | None = None,
) -> Generator[tuple[str, Any]]:
    """Run ``target(*args, conn)`` in a helper process and yield the (kind, payload)
    messages it sends on ``conn`` until it closes it. A pipe holds one message, so the
    helper runs at most one message ahead. Raises :class:`ReaderCrashed` when the helper sends
    ("crashed", traceback) or dies.

    ``ahead``: receive (and unpickle) the next message in a thread while the caller works on
    the one before, so the two overlap wherever the caller waits for its database. The caller
    holds one more message at a time, and keeps the cycle collector paused meanwhile (see
    :func:`_receive_paused`). ``upcoming`` shows that next message (see :class:`Upcoming`)."""
    context = helper_context()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_guarded, args=(target, os.getpid(), *args, send), daemon=True)
    process.start()
    send.close()  # only the helper writes: EOF here means it has gone
    # The thread always has the next message's receive under way (see ``ahead``).
    receiving = ThreadPoolExecutor(1, thread_name_prefix="import-receiver") if ahead else None
    pending = receiving.submit(receive.recv) if receiving else None
    if upcoming is not None:
        upcoming._pending = pending
    try:
        while True:
            try:
                if receiving and pending:
                    kind, payload = pending.result()
                    pending = receiving.submit(receive.recv)
                    if upcoming is not None:
                        upcoming._pending = pending
                else:
                    kind, payload = _receive_paused(receive)
            except EOFError:
                process.join(5)
                raise ReaderCrashed(
                    f"the process reading {path.name} stopped unexpectedly "
                    f"(exit code {process.exitcode}); what came before it was stored"
                ) from None
            if kind == "crashed":
                raise ReaderCrashed(f"reading {path.name} failed:\n{payload}")
            yield kind, payload
            payload = None  # not held while the next message is received
    finally:
        if upcoming is not None:
            upcoming._pending = None
        if process.is_alive():
            process.terminate()  # this side stopped early: the helper has nothing left to do
        if receiving is not None:
            receiving.shutdown()  # the helper has gone: a receive under way fails
        receive.close()
        process.join()
        process.close()


def _receive_paused(conn: Any) -> Any:
    """One message from the helper. Unpickling a batch makes ~50,000 objects at once: the
    cycle collector is kept out of it (see _child). A thread cannot do that safely while
    another one may switch it, so with ``ahead`` the caller pauses it for the whole import."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return conn.recv()
    finally:
        if collecting:
            gc.enable()
