"""The medallion's layers, the dbt profile each one runs on, and the engines of each on a lake
stack: the one table of which layer runs where."""

from __future__ import annotations

from dataclasses import dataclass

from ecomctl.errors import EcomctlError, ExitStatus

LAYERS: tuple[str, ...] = ("bronze", "silver", "gold")
# Layers `query` can read: the landing zone too.
QUERY_LAYERS: tuple[str, ...] = ("landing", *LAYERS)


@dataclass(frozen=True)
class LayerEngines:
    """Where a layer lives on a lake stack (the guide's architecture)."""

    # The guide's dbt profile that builds it, named for the engine the guide runs it on. The
    # names are roles, kept so the guide's readers find them: on the embedded stack all three
    # profiles are DuckDB. Empty for landing, which ecomctl loads itself.
    profile: str
    built_on: str  # the engine that profile runs on ("" for landing)
    read_on: str  # the engine the layer's tables are read through (row counts, `query`)

    @property
    def engines(self) -> tuple[str, ...]:
        """Every engine a run of the layer needs, in order."""
        return tuple(dict.fromkeys(e for e in (self.built_on, self.read_on) if e))


# Bronze on Trino (Iceberg), silver on Spark Thrift (Iceberg), gold on Trino into its
# PostgreSQL catalog, read in PostgreSQL.
ENGINES_OF_LAYER: dict[str, LayerEngines] = {
    "landing": LayerEngines("", "", "trino"),
    "bronze": LayerEngines("trino", "trino", "trino"),
    "silver": LayerEngines("spark", "spark", "spark"),
    "gold": LayerEngines("gold", "trino", "postgres"),
}
PROFILE_OF_LAYER: dict[str, str] = {layer: ENGINES_OF_LAYER[layer].profile for layer in LAYERS}


def parse_layers(layer: str) -> list[str]:
    """`--layer`: one layer, or all of them in order."""
    if layer == "all":
        return list(LAYERS)
    if layer not in LAYERS:
        raise EcomctlError(
            f"--layer {layer!r}: expected one of {', '.join((*LAYERS, 'all'))}", ExitStatus.USAGE
        )
    return [layer]
