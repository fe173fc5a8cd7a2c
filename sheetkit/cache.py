"""The per-user cache folder: built workbook templates and compiled report templates.

Everything in it can be rebuilt; a missing or unwritable folder only means no caching.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path | None:
    """Where templates are kept between runs: ``$SHEETKIT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/sheetkit``, else ``~/.cache/sheetkit``; ``None`` without a home folder."""
    if os.environ.get("SHEETKIT_CACHE_DIR"):
        return Path(os.environ["SHEETKIT_CACHE_DIR"])
    xdg_cache = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg_cache):
        return Path(xdg_cache) / "sheetkit"
    try:
        return Path.home() / ".cache" / "sheetkit"
    except RuntimeError:
        return None


def writable_cache_dir(subfolder: str) -> Path | None:
    """``default_cache_dir() / subfolder``, created if need be; ``None`` if it cannot be written."""
    base = default_cache_dir()
    if base is None:
        return None
    folder = base / subfolder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None
