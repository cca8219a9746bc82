"""The headless Chromium the report tests render with (``.ci/run`` installs it)."""

from __future__ import annotations

import shutil

CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)
NO_BROWSER = "no chromium, chromium-browser or google-chrome on PATH (.ci/run installs chromium)"
# headless, offline and quiet: nothing fetched, no profile prompts
BASE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
