"""Settings in one place: cache folder, progress display, language."""

from __future__ import annotations

import os
from pathlib import Path

#: Show progress bars on stderr for long work (the CLI turns this on when stderr is a terminal).
show_progress: bool = False

#: Language of the progress descriptions (``"zh"`` or ``"en"``); the CLI may set it to the run's language.
lang: str = "en"


def cache_dir() -> Path:
    """The on-disk cache folder (``$LIFECIRCLE_CACHE`` or ``~/.cache/lifecircle``)."""
    root = os.environ.get("LIFECIRCLE_CACHE")
    path = Path(root) if root else Path.home() / ".cache" / "lifecircle"
    path.mkdir(parents=True, exist_ok=True)
    return path
