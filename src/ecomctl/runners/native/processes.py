"""Local processes that outlive the ecomctl that started them, known by their recorded pid.

A process is started in a session of its own (Ctrl-C in the terminal does not reach it),
with its output in a log file, and recorded as (pid, start time) in a file of the home. A pid
alone is not enough: after a reboot or a long time the number may belong to another program.
The start time the kernel gives (/proc/<pid>/stat) tells ours from a stranger's, so a later
`up`, `status` or `down`, even after ecomctl was SIGKILLed, finds its own processes and only
those; nothing is ever found or killed by name.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ecomctl import proc
from ecomctl.home import private_dir


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str]  # the whole environment of the process
    cwd: Path
    runs_on: str = ""  # what it runs on, for `status` (e.g. the Java and where it was found)
    version: str = ""  # what it is, for `status`, when the command does not say


class Supervisor:
    def __init__(self, run_dir: Path, log_dir: Path) -> None:
        self.run_dir = run_dir
        self.log_dir = log_dir
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def _record(self, name: str) -> Path:
        return self.run_dir / f"{name}.json"

    def start(self, name: str, launch: Launch) -> int:
        private_dir(self.run_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        launch.cwd.mkdir(parents=True, exist_ok=True)
        with self.log(name).open("ab") as log:
            log.write(f"--- started by ecomctl at {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
            log.flush()
            child = subprocess.Popen(
                launch.argv,
                env=launch.env,
                cwd=launch.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._children[name] = child
        record = {
            "pid": child.pid,
            "start": proc.started(child.pid),
            "argv0": launch.argv[0],
            "runs_on": launch.runs_on,
            "version": launch.version,
        }
        self._record(name).write_text(json.dumps(record) + "\n")
        return child.pid

    def recorded(self, name: str) -> int | None:
        """The pid recorded for name, whatever became of it."""
        try:
            return int(json.loads(self._record(name).read_text())["pid"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def noted(self, name: str, key: str) -> str:
        """What the record says of the process under key ("runs_on", "version")."""
        try:
            return str(json.loads(self._record(name).read_text()).get(key, ""))
        except (FileNotFoundError, ValueError, AttributeError):
            return ""

    def pid(self, name: str) -> int | None:
        """The pid of name's process when it is alive and is the one ecomctl started."""
        try:
            record = json.loads(self._record(name).read_text())
        except (FileNotFoundError, ValueError):
            return None
        pid = int(record.get("pid", 0))
        child = self._children.get(name)
        if child is not None and child.pid == pid and child.poll() is not None:
            return None  # our own child that ended: reaped now, not a zombie
        start = record.get("start")
        # No start time recorded (the child was gone at once): nothing can prove a pid ours.
        if not isinstance(start, int) or not proc.alive(pid, start):
            return None
        return pid

    def exit_code(self, name: str) -> int | None:
        """The exit code of a process this ecomctl started and that has ended."""
        child = self._children.get(name)
        return None if child is None else child.poll()

    def stop(self, name: str, timeout: float = 30.0) -> bool:
        """SIGTERM the process's group, SIGKILL it after timeout. False when not running."""
        pid = self.pid(name)
        if pid is None:
            self._record(name).unlink(missing_ok=True)
            return False
        proc.stop_group(pid, lambda: self.pid(name) == pid, timeout)
        self._record(name).unlink(missing_ok=True)
        return True
