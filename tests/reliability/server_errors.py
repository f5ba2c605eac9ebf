"""What the app logged when it answered 5xx: the exception and where it was raised, so a finding is precise.

The app runs in the test process (the harness), so its error log records can be read back per request.
"""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path

OUR_CODE = ("/swarm/", "/integrations/", "/workflows/", "/config/")


class ErrorLog(logging.Handler):
    """Collects log records that carry an exception (Flask's 'Exception on ...', Bolt's 'Failed to run listener')."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self._records: list[logging.LogRecord] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            with self._lock:
                self._records.append(record)

    def take(self) -> list[str]:
        """Signatures of the exceptions logged since the last call: 'Type in file:function' (ours, else the library's)."""
        with self._lock:
            records, self._records = self._records, []
        return [signature(r.exc_info[1]) for r in records]

    def __enter__(self) -> "ErrorLog":
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger().removeHandler(self)


def signature(error: BaseException) -> str:
    """'Type in <our deepest frame>', plus '← <the library call it made>' when the error came from inside one.

    Functions, not line numbers: a signature must survive unrelated edits to the file."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    ours = [i for i, f in enumerate(frames) if _is_ours(f.filename)]
    if not ours:  # caught and logged inside a library (Bolt): where it entered, and where it was raised
        return f"{type(error).__name__} in {_where(frames[0])} ← {_where(frames[-1])}"
    deepest = ours[-1]
    text = f"{type(error).__name__} in {_where(frames[deepest])}"
    return text if deepest == len(frames) - 1 else f"{text} ← {_where(frames[deepest + 1])}"


def _is_ours(filename: str) -> bool:
    return any(part in filename for part in OUR_CODE) and "/site-packages/" not in filename


def _where(frame) -> str:
    return f"{_short_path(frame.filename)}:{frame.name}"


def _short_path(filename: str) -> str:
    path = Path(filename)
    for marker in ("site-packages", "swarm", "integrations", "workflows", "config"):
        if marker in path.parts:
            index = path.parts.index(marker)
            return "/".join(path.parts[index + (1 if marker == "site-packages" else 0):])
    return path.name
