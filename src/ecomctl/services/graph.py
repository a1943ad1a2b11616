"""Which services a service needs: the `--only` closure, for every runner."""

from __future__ import annotations

from dataclasses import dataclass

from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.graphs import reachable


@dataclass(frozen=True)
class ServiceGraph:
    depends_on: dict[str, list[str]]  # every service, in start order -> what it needs first

    def closure(self, names: list[str]) -> list[str]:
        """The services named and everything they depend on, in start order."""
        for name in names:
            if name not in self.depends_on:
                known = ", ".join(self.depends_on)
                raise EcomctlError(
                    f"--only {name!r}: no such service (services: {known})", ExitStatus.USAGE
                )
        wanted = reachable(names, self.depends_on)
        return [s for s in self.depends_on if s in wanted]
