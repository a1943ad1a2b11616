"""Which services a service needs: the `--only` closure, for every runner."""

from __future__ import annotations

from dataclasses import dataclass

from ecomctl.errors import EcomctlError, ExitStatus


@dataclass(frozen=True)
class ServiceGraph:
    depends_on: dict[str, list[str]]  # every service, in start order -> what it needs first

    def closure(self, names: list[str]) -> list[str]:
        """The services named and everything they depend on, in start order."""
        wanted: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in wanted:
                continue
            if name not in self.depends_on:
                known = ", ".join(self.depends_on)
                raise EcomctlError(
                    f"--only {name!r}: no such service (services: {known})", ExitStatus.USAGE
                )
            wanted.add(name)
            todo.extend(self.depends_on[name])
        return [s for s in self.depends_on if s in wanted]
