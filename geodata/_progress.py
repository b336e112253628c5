"""Progress display for long work: a rich spinner or bar on stderr when enabled."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from .settings import settings

if TYPE_CHECKING:
    from .common import Msg

T = TypeVar("T")


def _words(description: Msg | str) -> str:
    """A description in the language of `settings.lang` (a catalogue message) or as given (text)."""
    return description.text(settings.lang) if hasattr(description, "text") else str(description)


@contextlib.contextmanager
def progress_task(description: Msg | str) -> Iterator[None]:
    """Show a spinner with ``description`` while the block runs (when progress is on)."""
    if not settings.show_progress:
        yield
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        bar.add_task(_words(description), total=None)
        yield


def track(items: Iterable[T], description: Msg | str, total: int | None = None) -> Iterator[T]:
    """Iterate over ``items`` with a progress bar (when progress is on)."""
    if not settings.show_progress:
        yield from items
        return
    from rich.console import Console
    from rich.progress import track as rich_track

    yield from rich_track(
        items, description=_words(description), total=total, console=Console(stderr=True), transient=True
    )
