"""Services' log files, read as `ecomctl logs` shows them: the last lines of each, or the last
lines and then every new line as it is written (until the reader stops iterating)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

FOLLOW_PAUSE = 0.5  # seconds between looks at quiet logs


def tail(log: Path, lines: int) -> str:
    """The file's last `lines` lines ("" when it does not exist yet, or lines is 0)."""
    if not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:] if lines else [])


def read(logs: dict[str, Path], lines: int, follow: bool) -> Iterator[str]:
    """The logs of the services named (service -> its log file): their tails, each line
    prefixed with its service's name when there are several; with follow, then new lines."""
    if follow:
        return _follow(list(logs.values()), lines)
    texts = [_labelled(name, tail(log, lines), len(logs) > 1) for name, log in logs.items()]
    return iter(["\n".join(t for t in texts if t)])


def _labelled(name: str, text: str, label: bool) -> str:
    if not label or not text:
        return text
    return "\n".join(f"{name} | {line}" for line in text.splitlines())


def _follow(logs: list[Path], lines: int) -> Iterator[str]:
    with ExitStack() as opened:
        handles = []
        for log in logs:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.touch()
            text = tail(log, lines)
            if text:
                yield text + "\n"
            handle = opened.enter_context(log.open(errors="replace"))
            handle.seek(0, 2)
            handles.append(handle)
        while True:
            quiet = True
            for handle in handles:
                line = handle.readline()
                if line:
                    quiet = False
                    yield line
            if quiet:
                time.sleep(FOLLOW_PAUSE)
