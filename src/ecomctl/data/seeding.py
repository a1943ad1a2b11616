"""`ecomctl seed`: generate (or take the user's) Olist files, then load them into landing."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ecomctl import hints
from ecomctl.data import landing
from ecomctl.data.olist import BY_TABLE
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.home import building
from ecomctl.settings import HomePaths


@dataclass(frozen=True)
class SeedResult:
    source: Path
    generated: bool
    rows: dict[str, int]  # per table, in landing after the load
    loaded: dict[str, int]  # per table, brought by this load (an increment: appended)
    rejected: int = 0
    rejects_by_file: dict[str, int] = field(default_factory=dict)
    batch: int | None = None  # the increment's number, for `seed --increment`
    updated_orders: int = 0  # orders loaded before that this load gave a new version
    appended: bool = False  # an increment (generated or the user's files), not a replacement

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_loaded(self) -> int:
        return sum(self.loaded.values())

    @property
    def new_orders(self) -> int:
        return self.loaded.get("orders", 0) - self.updated_orders


def _result(
    source: Path,
    generated: bool,
    loaded: landing.LoadResult,
    batch: int | None = None,
    updated_orders: int = 0,
    appended: bool = False,
) -> SeedResult:
    return SeedResult(
        source,
        generated,
        loaded.rows,
        loaded.loaded,
        loaded.rejected,
        loaded.rejects_by_file,
        batch,
        updated_orders,
        appended,
    )


def _params(paths: HomePaths) -> dict[str, Any] | None:
    marker = paths.generated / ".params.json"
    return json.loads(marker.read_text()) if marker.exists() else None


def generated_files(paths: HomePaths, scale: float, seed: int) -> tuple[Path, bool]:
    """The generated files for (scale, seed), made now unless already there."""
    from ecomctl.data import generator

    target = paths.generated
    params = {"scale": scale, "seed": seed, "generator": generator.VERSION}
    if _params(paths) == params:
        return target, False
    # Generated beside, then put in place: a half-generated folder is never taken for a whole one.
    with building(target) as partial:
        generator.generate(partial, scale=scale, seed=seed)
        (partial / ".params.json").write_text(json.dumps(params))
    return target, True


def seed(
    paths: HomePaths,
    scale: float,
    seed: int,
    from_dir: Path | None = None,
    max_bad_rows: int | None = None,
) -> SeedResult:
    """Replace the landing zone with the user's files or the generated ones."""
    if from_dir is not None:
        _check_folder(from_dir)
        return _result(from_dir, False, landing.load(paths, from_dir, max_bad_rows=max_bad_rows))
    source, made = generated_files(paths, scale, seed)
    loaded = landing.load(paths, source, max_bad_rows=max_bad_rows)
    # A new base starts the day-by-day increments over.
    shutil.rmtree(paths.increments, ignore_errors=True)
    return _result(source, made, loaded)


def increment(paths: HomePaths) -> SeedResult:
    """Append one more day of new orders, after the generated base and earlier increments,
    and a new version of some orders shipped before it (delivered since, late), as a real
    day's export brings: the models must take the latest version of each order."""
    from ecomctl.data import generator

    params = _params(paths)
    base = landing.base_folder(paths)
    if base is not None and base != paths.generated.resolve():
        raise EcomctlError(
            f"landing holds your files from {base} (`seed --from`): `seed --increment` alone"
            " would append generated orders to them; append a folder of your new files with"
            f" `{hints.command('seed --increment --from DIR')}`, or start over on generated data"
            f" with `{hints.command('seed')}`",
            ExitStatus.USAGE,
        )
    if params is None or not landing.row_counts(paths):
        raise EcomctlError(
            f"no generated landing data to extend: run `{hints.command('seed')}` first"
        )
    done = sorted(paths.increments.glob("batch-*")) if paths.increments.exists() else []
    batch = len(done) + 1
    folder = paths.increments / f"batch-{batch:04d}"
    # Put in place only once loaded (the load is inside the block): a failed append leaves no
    # batch that looks done.
    with building(folder) as partial:
        written = generator.generate_increment(partial, params["scale"], params["seed"], batch)
        wanted = max(_MIN_UPDATES, written["orders"] // _NEW_ORDERS_PER_UPDATE)
        updated = _deliver_late(_shipped_orders(paths), batch, wanted)
        _append_orders(partial / BY_TABLE["orders"].filename, updated)
        loaded = landing.load(paths, partial, append=True, origin=folder)
    return _result(folder, True, loaded, batch, len(updated), appended=True)


def increment_from(paths: HomePaths, from_dir: Path, max_bad_rows: int | None = None) -> SeedResult:
    """Append the user's new Olist files (whichever of the 9 are in from_dir) to landing, with
    the checks of `seed --from`. A row may be a new version of one loaded before (an order
    delivered since): the models take the latest. A file landing already holds is refused."""
    _check_folder(from_dir)
    if not landing.row_counts(paths):
        raise EcomctlError(
            "no landing data to append to: load your files first with"
            f" `{hints.command('seed --from DIR')}`"
        )
    loaded = landing.load(paths, from_dir, append=True, max_bad_rows=max_bad_rows)
    updated = _updated_orders(paths) if loaded.loaded.get("orders") else 0
    return _result(from_dir, False, loaded, updated_orders=updated, appended=True)


def _updated_orders(paths: HomePaths) -> int:
    """Orders of the latest load into landing.orders that an earlier load had already brought."""
    (count,) = _read(
        paths,
        f"with o as (select order_id, _loaded_at = max(_loaded_at) over () as latest"
        f" from {landing.SCHEMA}.orders)"
        " select count(distinct order_id) from o where latest"
        " and order_id in (select order_id from o where not latest)",
    )
    return int(count[0])


def _read(paths: HomePaths, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query of landing, read-only."""
    from ecomctl.engines import duck

    with duck.connect(paths, read_only=True) as con:
        rows: list[tuple[Any, ...]] = con.execute(sql).fetchall()
    return rows


def _check_folder(from_dir: Path) -> None:
    if not from_dir.is_dir():
        raise EcomctlError(f"--from {from_dir}: not a folder", ExitStatus.USAGE)


# An increment also updates about one order per four new ones (at least a couple), as long
# as landing has shipped orders left to deliver.
_NEW_ORDERS_PER_UPDATE = 4
_MIN_UPDATES = 2
_CSV_TIME = "%Y-%m-%d %H:%M:%S"


def _shipped_orders(paths: HomePaths) -> list[dict[str, str]]:
    """Landing's orders whose latest version is shipped (handed to the carrier, with a
    promised date), as the CSV fields of that version."""
    spec = BY_TABLE["orders"]
    fields = ", ".join(
        f"coalesce(strftime({c.name}, '{_CSV_TIME}'), '')" if c.type == "TIMESTAMP" else c.name
        for c in spec.columns
    )
    rows = _read(
        paths,
        f"select {fields} from (select *, row_number() over (partition by order_id"
        f" order by _loaded_at desc) as n from {landing.SCHEMA}.orders)"
        " where n = 1 and lower(trim(order_status)) = 'shipped'"
        " and order_delivered_carrier_date is not null"
        " and order_estimated_delivery_date is not null",
    )
    return [dict(zip(spec.column_names, row, strict=True)) for row in rows]


def _deliver_late(shipped: list[dict[str, str]], batch: int, wanted: int) -> list[dict[str, str]]:
    """The next version of `wanted` of the shipped orders: delivered, 1 to 10 days after the
    promised date. Chosen and dated by a hash of (order, batch): the same landing and batch
    always give the same versions."""

    def draw(order: dict[str, str]) -> int:
        return int(hashlib.md5(f"{order['order_id']}:{batch}".encode()).hexdigest()[:12], 16)

    chosen = sorted(shipped, key=draw)[:wanted]
    updated = []
    for order in chosen:
        promised = max(
            datetime.strptime(order["order_estimated_delivery_date"], _CSV_TIME),
            datetime.strptime(order["order_delivered_carrier_date"], _CSV_TIME),
        )
        late = timedelta(days=1 + draw(order) % 10, seconds=draw(order) % 86_400)
        updated.append(
            {
                **order,
                "order_status": "delivered",
                "order_delivered_customer_date": (promised + late).strftime(_CSV_TIME),
            }
        )
    return updated


def _append_orders(path: Path, rows: list[dict[str, str]]) -> None:
    """Add orders at the end of an orders file, in the generator's CSV dialect."""
    with path.open("a", newline="", encoding="utf-8") as handle:
        fields = BY_TABLE["orders"].column_names
        csv.DictWriter(handle, fieldnames=fields, lineterminator="\n").writerows(rows)
