"""Run one piece of work in a forked child while the caller does another (two cores, two writers).

The run's outputs are independent files: the map with its what-if in one process, the report,
tables and layers in the other. Two ways to get the child:

- `run_beside` alone forks when the work is ready: the child shares the caller's tables (a
  fork copies nothing up front, nothing is pickled on the way in);
- `prepared` forks at the start of a run, before the computing begins, and the child loads
  what its job needs (the map's libraries and templates) on the second core while the first
  computes; `run_beside` then hands it the job, pickled through a pipe (a few megabytes for a
  district, a few hundredths of a second against the half second the imports take). Before
  that, `Prepared.ahead` may hand it work that needs only what is known already (the what-if's
  walking times while the siting model is solved); the job finds its value with `early`, and
  a value handed with ``send_back`` also comes back to the caller (`Prepared.fetch`).

Only the child's small answer (timings, notes) comes back, pickled through a pipe; an error in
the child is raised again in the caller, so a failed write still fails the whole run and the
staged folder is thrown away as before.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import queue
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from ..coverage._threads import can_fork

__all__ = ["Prepared", "can_fork", "early", "prepared", "run_beside"]

T = TypeVar("T")


@dataclass(eq=False)
class Prepared:
    """A forked child that has loaded what its job needs and waits for it (see `prepared`).

    Attributes
    ----------
    pid
        The child's process id.
    job_fd
        Where the pickled jobs are written, each as a length and a pickle (`_FRAME`).
    answer_fd
        Where the child's pickled answer comes from.
    back_fd
        Where the values of the early jobs handed with ``send_back`` come from, framed.
    used
        Whether the job was handed over (a child answers once).
    """

    pid: int
    job_fd: int
    answer_fd: int
    back_fd: int
    used: bool = False
    _frames: queue.SimpleQueue | None = field(default=None, repr=False)
    _sender: threading.Thread | None = field(default=None, repr=False)
    _back: _Received | None = field(default=None, repr=False)

    def ahead(self, name: str, job: Callable[[], object], *, send_back: bool = False) -> bool:
        """Hand the child ``job`` to run now; its value waits there as ``early(name)`` for the job.

        ``job`` is pickled here, at once, so later changes to its arguments do not reach it.
        Returns whether it was handed over (not after the job, not when it cannot be pickled).
        A failing early job leaves ``early(name)`` empty: the job does that work itself. With
        ``send_back`` the value also comes back to this process, for `fetch`.
        """
        if self.used:
            return False
        data = _dumps((name, job, send_back))
        if data is None:
            return False
        if send_back and self._back is None:
            self._back = _Received(self.back_fd)
        self._send(data)
        return True

    def fetch(self, name: str) -> object | None:
        """The value of the early job ``name`` handed with ``send_back``, waiting for it if need be.

        ``None`` when no such job was handed over, when it failed, or when the child ended
        without sending it: the caller then does that work itself.
        """
        return None if self._back is None else self._back.wait(name)

    def _send(self, data: bytes | None) -> None:
        """Queue a frame for the sender thread (started on the first); ``None`` closes the pipe."""
        if self._sender is None:
            if data is None:
                _close(self.job_fd)
                return
            self._frames = queue.SimpleQueue()
            self._sender = threading.Thread(
                target=_send_frames,
                args=(self.job_fd, self._frames),
                name="lifecircle-hand-over",
                daemon=True,
            )
            self._sender.start()
        self._frames.put(data)

    def _finish_sending(self) -> threading.Thread | None:
        """Close the job pipe after what is queued; the sender thread to join, if any."""
        self._send(None)
        return self._sender

    def _abandon(self) -> None:
        """Stop the child without a job (none was handed over, or it could not be pickled)."""
        self.used = True
        sender = self._finish_sending()
        _close(self.answer_fd)
        _stop(self.pid)
        if sender is not None:
            sender.join()
        self._end_receiving()

    def _end_receiving(self) -> None:
        """Once the child has ended: the values it sent back are all read (or none was asked for)."""
        if self._back is None:
            _close(self.back_fd)
        else:
            self._back.reader.join()


class _Received:
    """The values a prepared child sends back, read by a thread as they come (never left in the pipe).

    The child writes each as a frame (`_FRAME`, then the pickle of ``(name, value)``); the pipe is
    drained here at once, so the child never waits on a full pipe while this process is busy.
    """

    def __init__(self, fd: int) -> None:
        self.values: dict[str, object] = {}
        self.ended = False
        self.ready = threading.Condition()
        self.reader = threading.Thread(target=self._read, args=(fd,), name="lifecircle-back", daemon=True)
        self.reader.start()

    def _read(self, fd: int) -> None:
        try:
            with os.fdopen(fd, "rb") as pipe:
                while (data := _read_frame(pipe)) is not None:
                    name, value = pickle.loads(data)
                    with self.ready:
                        self.values[name] = value
                        self.ready.notify_all()
        except (OSError, EOFError, pickle.UnpicklingError):  # the child died mid-frame
            pass
        finally:
            with self.ready:
                self.ended = True
                self.ready.notify_all()

    def wait(self, name: str) -> object | None:
        """``name``'s value once it has come, ``None`` if the child ended without sending it."""
        with self.ready:
            self.ready.wait_for(lambda: name in self.values or self.ended)
            return self.values.get(name)


#: A frame's header: the length of the pickle that follows.
_FRAME = struct.Struct("<Q")


def _write_frame(pipe: io.BufferedWriter, data: bytes) -> None:
    """Write ``data`` as one frame (its length, then itself) and flush it to the reader."""
    pipe.write(_FRAME.pack(len(data)))
    pipe.write(data)
    pipe.flush()


def _read_frame(pipe: io.BufferedReader) -> bytes | None:
    """The next frame's bytes, or ``None`` when the writer has closed the pipe."""
    head = pipe.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    return pipe.read(_FRAME.unpack(head)[0])
#: In a prepared child: the values of the early jobs, by name (see `Prepared.ahead`).
_EARLY: dict[str, object] = {}


def early(name: str) -> object | None:
    """In the writing process: the value of the early job ``name``, or ``None`` (none ran, or it failed)."""
    return _EARLY.get(name)


@contextmanager
def prepared(warm: Callable[[], object]) -> Iterator[Prepared | None]:
    """Fork a child now that runs ``warm`` (imports, templates) and then waits for its jobs.

    Yields the child for `run_beside` (``child=``), or ``None`` where processes cannot be
    forked (`can_fork`). A child not handed its job by the end of the block is stopped, so a
    run that fails while computing leaves no process behind. ``warm`` failing is not an error
    here: the job meets the same problem and reports it.
    """
    if not can_fork():
        yield None
        return
    job_r, job_w = os.pipe()
    answer_r, answer_w = os.pipe()
    back_r, back_w = os.pipe()
    pid = _fork()
    if pid == 0:  # the child: never returns
        _in_child(_waiting_child, warm, job_r, answer_w, back_w, close=(job_w, answer_r, back_r))
    _close(job_r, answer_w, back_w)
    child = Prepared(pid, job_w, answer_r, back_r)
    try:
        yield child
    finally:
        if not child.used:
            child._abandon()


def run_beside(job: Callable[[], T], here: Callable[[], None], *, child: Prepared | None = None) -> T:
    """Run ``job`` in a child process while ``here`` runs in this process; return ``job``'s value.

    With ``child`` (from `prepared`), ``job`` is pickled and handed to that waiting child, so it
    must be picklable (a module-level function or a `functools.partial` of one); a job that
    cannot be pickled falls back to a fresh fork. Without ``child`` a child is forked now.
    Without fork (see `can_fork`) the two run one after the other. The child ignores Ctrl-C (the
    caller is interrupted and stops the child) and leaves with ``os._exit``, so none of the
    caller's clean-up runs twice. When ``here`` fails, the child is stopped and the error raised;
    when the child fails, its error is raised here.
    """
    sent = _hand_over(job, child) if child is not None and not child.used else None
    if sent is not None:
        pid, read = child.pid, child.answer_fd
    elif not can_fork():
        value = job()
        here()
        return value
    else:
        read, write = os.pipe()
        pid = _fork()
        if pid == 0:  # the child: never returns
            _in_child(_answer, job, write, close=(read,))
        os.close(write)
    pipe = os.fdopen(read, "rb")
    try:
        here()
        data = pipe.read()
        _, status = os.waitpid(pid, 0)
    except BaseException:
        _stop(pid)
        raise
    finally:
        pipe.close()
        if sent is not None:
            sent.join()
            child._end_receiving()
    if not data:
        raise RuntimeError(f"the writing process ended without an answer (status {status})")
    ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value


def _hand_over(job: Callable[[], object], child: Prepared) -> threading.Thread | None:
    """Queue the pickled ``job`` for the waiting ``child``; the sender thread (``None``: not picklable).

    A thread writes, so this process goes on with its own work while the child (loading, or
    busy with an early job) drains the pipe. A job that cannot be pickled stops the child.
    """
    data = _dumps((None, job, False))
    if data is None:  # a closure or an open handle: the caller forks afresh
        child._abandon()
        return None
    child.used = True
    child._send(data)
    return child._finish_sending()


def _dumps(obj: object) -> bytes | None:
    """``obj`` pickled with `_Pickler`, or ``None`` when it cannot be pickled."""
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except Exception:
        return None
    return buffer.getvalue()


def _send_frames(fd: int, frames: queue.SimpleQueue) -> None:
    """The sender thread: write each queued pickle with its length, until ``None``; then close."""
    with os.fdopen(fd, "wb") as pipe:
        while (data := frames.get()) is not None:
            try:
                _write_frame(pipe, data)
            except OSError:  # the child died; its missing answer is reported by run_beside
                with suppress(OSError):
                    pipe.close()
                return


class _Pickler(pickle.Pickler):
    """A pickler that writes arrays of shapely geometries as one WKB array, not one by one.

    A run's network keeps its edges as such an array; pickled geometry by geometry they took
    most of the hand-over (3,040 Yuzhong edges: 0.15 s under a profiler, one call each).
    """

    def reducer_override(self, obj: object) -> object:
        if type(obj) is not np.ndarray or obj.dtype != object or not obj.size:
            return NotImplemented
        if "shapely" not in sys.modules:
            return NotImplemented
        import shapely

        if not (shapely.is_geometry(obj) | shapely.is_missing(obj)).all():
            return NotImplemented
        return shapely.from_wkb, (shapely.to_wkb(obj),)


#: The signals a child must not handle with its parent's handlers (see `_fork`).
_STOPS = {signal.SIGINT, signal.SIGTERM}


def _fork() -> int:
    """``os.fork()``, the child's Ctrl-C ignored and SIGTERM fatal before any of it can arrive.

    The parent's handlers turn these signals into exceptions (`lifecircle.geodata.common.interruptible`);
    run in a child they would unwind the parent's stack there (a failed run stops its writer with
    SIGTERM at once, before the child has set its own handlers). So both are blocked across the
    fork, the child sets its dispositions, and then each side takes its mask back.
    """
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return pid


def _in_child(body: Callable[..., object], *args: object, close: tuple[int, ...]) -> None:
    """Run a child's ``body`` after closing the parent's ends ``close``; leave, whatever happens."""
    code = 1
    try:
        _close(*close)
        body(*args)
        code = 0
    finally:
        os._exit(code)


def _waiting_child(warm: Callable[[], object], job_fd: int, answer_fd: int, back_fd: int) -> None:
    """The prepared child: warm up, run the early jobs as they come, then the job; answer, leave.

    The value of an early job handed with ``send_back`` is also written to ``back_fd`` (``None``
    when it failed or cannot be pickled), where the parent reads it (`Prepared.fetch`).
    """
    gc.disable()  # the warm-up loads libraries: long-lived objects, not garbage (see cli._imports_done)
    with suppress(BaseException):  # a failed warm-up: the job meets the same problem and reports it
        warm()
    gc.freeze()
    gc.enable()
    try:
        pipe, back = os.fdopen(job_fd, "rb"), os.fdopen(back_fd, "wb")
        while True:
            data = _read_frame(pipe)
            if data is None:  # the run ended without a job for us
                os._exit(0)
            name, job, send_back = pickle.loads(data)
            if name is None:
                break
            try:
                _EARLY[name] = job()
            except Exception:  # the job does this work itself
                _EARLY.pop(name, None)
            if send_back:
                _write_frame(back, _dumps((name, _EARLY.get(name))) or _dumps((name, None)))
    except BaseException:
        os._exit(1)
    _answer(job, answer_fd)


def _answer(job: Callable[[], object], write: int) -> None:
    """Run ``job`` in the child, send its pickled value (or error) through ``write``, leave."""
    code = 0
    try:
        try:
            answer = (True, job())
        except BaseException as exc:  # handed to the caller, raised there
            answer = (False, exc)
        try:
            data = pickle.dumps(answer)
        except Exception:  # an error that cannot be pickled is passed on as its text
            data = pickle.dumps((False, RuntimeError(repr(answer[1]))))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _close(*fds: int) -> None:
    for fd in fds:
        with suppress(OSError):
            os.close(fd)


def _stop(pid: int) -> None:
    """Stop the child and reap it (it may have ended already)."""
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
