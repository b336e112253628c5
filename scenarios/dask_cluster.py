"""The Dask cluster of a partitioned run: a client on a scheduler or a local cluster, and memory sampling."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from ..geodata.common import InputError, Msg

# -- client side -----------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None) -> Iterator:
    """A `distributed.Client`: on ``scheduler`` when given, else on a `LocalCluster`.

    The local cluster is sized to the machine: one single-threaded worker process per core
    (the engine's searches are single-threaded), listening on loopback only.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise InputError("dask.no_scheduler", scheduler=scheduler, error=exc.__class__.__name__) from None
        except ValueError as exc:  # not an address: "missing port number", "unknown address scheme"
            raise InputError("dask.bad_scheduler", scheduler=scheduler, error=str(exc)) from None
        try:
            yield client
        finally:
            client.close()
        return
    from distributed.comm.core import CommClosedError

    n = n_workers or os.cpu_count() or 1
    try:
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        )
    except Exception as exc:  # e.g. "Nanny failed to start": a worker process died while starting
        raise _cluster_error(exc, started=False) from None
    with cluster:
        try:
            client = Client(cluster)
        except Exception as exc:
            raise _cluster_error(exc, started=False) from None
        with client:
            try:
                yield client
            except CommClosedError as exc:  # the cluster went away while the run talked to it
                raise _cluster_error(exc, started=True) from None


def _cluster_error(exc: BaseException, *, started: bool) -> InputError:
    """One sentence for a local Dask cluster that failed to start or went away, and the way round it."""
    reason = " ".join(f"{exc.__class__.__name__}: {exc}".split()).rstrip(".")
    if len(reason) > 160:
        reason = reason[:157] + "…"
    what = Msg("dask.cluster.went_away" if started else "dask.cluster.could_not_start")
    return InputError("dask.cluster_failed", what=what, reason=reason)


# -- memory sampling (benchmarks) ------------------------------------------------------------------


class WorkerMemory:
    """Peak resident memory of every worker process, sampled in the background."""

    def __init__(self, client, interval_s: float = 0.25) -> None:
        self.client = client
        self.interval_s = interval_s
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        with contextlib.suppress(Exception):
            got = self.client.run(rss)
            for w, worker_rss in got.items():
                self.peak[w] = max(self.peak.get(w, 0), int(worker_rss))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_s)


def rss() -> int:
    """Peak resident memory of this process so far, bytes (Linux reports kilobytes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
