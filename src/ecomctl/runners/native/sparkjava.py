"""ecomctl's own Java classes for the Spark Thrift server (java/ecomctl/spark/, shipped in the
wheel), compiled where they run, with no JDK: a pipx user may have a Java runtime and no javac.

Janino, the compiler Spark itself uses for generated code, is in pyspark's jars (janino and
commons-compiler 3.1.x, whose command-line compiler is `CompilerDemo`). The classes are built
once per content (the sources and the pyspark they are compiled against) into the shared cache.

- `ecomctl.spark.PasswordFiles`: the server's login check (hive.server2.authentication=CUSTOM)
  against the passwords in the home's 0600 files, named by system properties.
- `ecomctl.spark.Guard`: a session extension (spark.sql.extensions) refusing script transforms,
  ADD JAR/FILE/ARCHIVE, CREATE FUNCTION, LOAD DATA and reflect for everyone, and every command
  but SHOW/DESCRIBE/EXPLAIN/USE for the read-only login.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from ecomctl import home
from ecomctl.errors import EcomctlError, ExitStatus

PASSWORDS_CLASS = "ecomctl.spark.PasswordFiles"
GUARD_CLASS = "ecomctl.spark.Guard"
# The system properties the classes read: each login's password file, and the read-only user.
PASSWORD_PROPERTY = "ecomctl.spark.password."  # + the user name
READER_PROPERTY = "ecomctl.spark.reader"
_SOURCES = Path(__file__).parent / "java"
_COMPILER = "org.codehaus.commons.compiler.samples.CompilerDemo"


def sources() -> list[Path]:
    return sorted(_SOURCES.rglob("*.java"))


def classes(cache: Path, spark_home: Path, java: Path) -> Path:
    """The folder of compiled classes (a classpath entry), compiled on first use."""
    jars = sorted((spark_home / "jars").glob("*.jar"))
    digest = hashlib.sha256()
    for source in sources():
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    # Compiled against this Spark: its jars' names carry its version.
    digest.update("\0".join(j.name for j in jars).encode())
    target = cache / "spark-classes" / digest.hexdigest()[:16]
    if target.is_dir():
        return target
    compiler = [j for j in jars if j.name.startswith(("janino-", "commons-compiler-"))]
    if len(compiler) != 2:
        raise EcomctlError(
            f"spark-thrift: no Janino compiler in {spark_home / 'jars'} (janino and"
            " commons-compiler): reinstall pyspark (`pip install 'ecomctl[native]'`)",
            ExitStatus.ENVIRONMENT,
        )
    # Racing `up`s each build their own folder; the first one in place wins.
    with home.building(target, replace=False) as partial:
        command = [
            str(java), "-cp", ":".join(map(str, compiler)), _COMPILER,
            "-classpath", ":".join(map(str, jars)), "-d", str(partial), *map(str, sources()),
        ]  # fmt: skip
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
        )
        # CompilerDemo prints a compile error and still exits 0: the classes say it worked.
        missing = [
            n for n in (PASSWORDS_CLASS, GUARD_CLASS) if not _class_file(partial, n).exists()
        ]
        said = (done.stderr + done.stdout).strip().splitlines()
        if done.returncode != 0 or missing or any("Exception" in line for line in said):
            raise EcomctlError(
                f"spark-thrift: compiling ecomctl's Spark classes with Janino failed:"
                f" {said[0] if said else f'exit code {done.returncode}'}",
                ExitStatus.ENVIRONMENT,
            )
    return target


def _class_file(root: Path, name: str) -> Path:
    return root.joinpath(*name.split(".")).with_suffix(".class")
