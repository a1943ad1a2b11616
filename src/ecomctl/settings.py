"""Settings: defaults < ecomctl.toml < .env < ECOMCTL_* environment < command-line flags.

This is the only module that reads the environment for ecomctl's own settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Stack = Literal["embedded"]
LAYERS: tuple[str, ...] = ("bronze", "silver", "gold")

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
    stack: Stack = "embedded"
    scale: float = Field(default=DEFAULT_SCALE, gt=0)
    seed: int = 42
    threads: int = Field(default=2, ge=1)
    pg_start_timeout: float = Field(default=30.0, gt=0)
    # Set by GitHub Actions itself, hence no ECOMCTL_ prefix.
    github_actions: bool = Field(default=False, validation_alias="GITHUB_ACTIONS")
    github_step_summary: Path | None = Field(default=None, validation_alias="GITHUB_STEP_SUMMARY")

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
        return HomePaths(self.home.resolve())


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


def load_settings(**flags: object) -> Settings:
    """Build settings, with flags given as None left to the other sources."""
    given = {k: v for k, v in flags.items() if v is not None}
    return Settings(**given)  # type: ignore[arg-type]
