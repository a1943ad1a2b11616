"""The medallion's layers and the dbt profile each one runs on."""

from __future__ import annotations

from ecomctl.errors import EcomctlError, ExitStatus

LAYERS: tuple[str, ...] = ("bronze", "silver", "gold")
# Layers `query` can read: the landing zone too.
QUERY_LAYERS: tuple[str, ...] = ("landing", *LAYERS)

# The guide's three dbt profiles, one per layer, named for the engine the guide runs the layer
# on: bronze on Trino, silver on Spark, gold on Trino writing into PostgreSQL. The names are
# roles, kept so the guide's readers find them: on the embedded stack all three are DuckDB.
PROFILE_OF_LAYER = {"bronze": "trino", "silver": "spark", "gold": "gold"}


def parse_layers(layer: str) -> list[str]:
    """`--layer`: one layer, or all of them in order."""
    if layer == "all":
        return list(LAYERS)
    if layer not in LAYERS:
        raise EcomctlError(
            f"--layer {layer!r}: expected one of {', '.join((*LAYERS, 'all'))}", ExitStatus.USAGE
        )
    return [layer]
