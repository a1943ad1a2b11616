"""Ports only ecomctl's own processes may reach: the native stack's servers that have no
authentication of their own (the Hive Metastore's Thrift port; SeaweedFS's master, volume,
filer and admin ports, HTTP and gRPC).

Loopback is shared by every user of the machine. Neither Trino nor Spark's Hive client can
authenticate to the metastore but with Kerberos, so the kernel tells callers apart instead:
as root, one iptables chain per home (`ecomctl-<10 hex digits of the home's path>`), jumped
to from OUTPUT for packets on the loopback interface, rejects a connection to those ports from
any user but the one that runs ecomctl. `up` writes the chain whole (flush, then its rules),
`down` removes it and its jump, and both clear a chain a crashed run left. No other rule is
ever touched. Without root or iptables the ports stay reachable, and `status` says so.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from ecomctl import proc

CHAIN_PREFIX = "ecomctl-"
_TIMEOUT = 20.0


def chain_name(home: Path) -> str:
    """The home's chain: 18 characters (iptables takes 28), the same for the same folder."""
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()
    return CHAIN_PREFIX + digest[:10]


def jump(chain: str) -> list[str]:
    """The rule of OUTPUT that sends loopback packets through the chain."""
    return ["-o", "lo", "-j", chain]


def rules(ports: Iterable[int], uid: int) -> list[list[str]]:
    """The chain's rules: a connection to each port from any other user is reset."""
    others = ["-m", "owner", "!", "--uid-owner", str(uid)]
    reset = ["-j", "REJECT", "--reject-with", "tcp-reset"]
    return [["-p", "tcp", "--dport", str(port), *others, *reset] for port in sorted(set(ports))]


class PortIsolation:
    """One home's chain."""

    def __init__(self, home: Path) -> None:
        self.chain = chain_name(home)

    def unavailable(self) -> str | None:
        """Why isolation cannot be had here, or None when it can."""
        if os.geteuid() != 0:
            return "isolation needs root"
        if proc.system_program("iptables") is None:
            return "isolation needs iptables, not installed"
        return None

    def apply(self, ports: Iterable[int]) -> str | None:
        """Reject other users' connections to ports; None when done, else why not."""
        why = self.unavailable()
        if why is not None:
            return why
        self._iptables("-N", self.chain)  # kept when it exists: flushed next
        failed = self._iptables("-F", self.chain)
        for rule in rules(ports, os.geteuid()):
            failed = failed or self._iptables("-A", self.chain, *rule)
        if not failed and self._iptables("-C", "OUTPUT", *jump(self.chain)):
            failed = self._iptables("-I", "OUTPUT", "1", *jump(self.chain))
        if failed:
            self.remove()
            return f"iptables refused the isolation rules: {failed}"
        return None

    def remove(self) -> None:
        """The chain and every jump to it gone (none left when there was none)."""
        if self.unavailable() is not None:
            return
        while not self._iptables("-D", "OUTPUT", *jump(self.chain)):
            pass
        self._iptables("-F", self.chain)
        self._iptables("-X", self.chain)

    def isolated(self) -> set[int]:
        """The ports the chain protects now (none when it or its jump is missing)."""
        if self.unavailable() is not None:
            return set()
        if self._iptables("-C", "OUTPUT", *jump(self.chain)):
            return set()
        done = _run(["iptables", "-w", "-S", self.chain])
        if done.returncode != 0:
            return set()
        uid = str(os.geteuid())
        found = set()
        for line in done.stdout.splitlines():
            words = line.split()
            if "--dport" in words and uid in words and "REJECT" in words:
                found.add(int(words[words.index("--dport") + 1]))
        return found

    def _iptables(self, *args: str) -> str:
        """Run iptables (waiting for its lock); "" on success, else its error line."""
        done = _run(["iptables", "-w", *args])
        if done.returncode == 0:
            return ""
        return (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[0]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    program = proc.system_program(argv[0]) or argv[0]
    return subprocess.run(
        [program, *argv[1:]], capture_output=True, text=True, check=False, timeout=_TIMEOUT
    )
