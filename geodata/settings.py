"""Settings in one place: cache folder, progress display, language."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Settings:
    """Process-wide settings the command line sets.

    Attributes
    ----------
    show_progress
        Show progress bars on stderr for long work (the CLI turns this on when stderr is a
        terminal).
    lang
        Language of the progress descriptions (``"zh"`` or ``"en"``); the CLI sets the run's.
    """

    show_progress: bool = False
    lang: str = "en"


#: The settings of this process.
settings = Settings()


def cache_dir() -> Path:
    """The on-disk cache folder (``$LIFECIRCLE_CACHE`` or ``~/.cache/lifecircle``)."""
    root = os.environ.get("LIFECIRCLE_CACHE")
    path = Path(root) if root else Path.home() / ".cache" / "lifecircle"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_folder(kind: str) -> Path | None:
    """The cache's subfolder ``kind``, made if needed; ``None`` when the cache is off or cannot be written.

    ``LIFECIRCLE_CACHE=off`` turns every cache off; a folder that cannot be made or written (a
    read-only home) means no cache, never an error: the work is simply done again.
    """
    if os.environ.get("LIFECIRCLE_CACHE", "").lower() == "off":
        return None
    try:
        folder = cache_dir() / kind
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None
