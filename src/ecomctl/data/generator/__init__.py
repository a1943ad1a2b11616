"""Deterministic generator of Olist-shaped CSV files at any scale.

The 9 files have the real data set's names, columns, row counts (at scale 1) and dirt: empty
timestamps, duplicate review ids, multi-line quoted comments, accent variants of city names,
exact duplicate geolocation rows, a BOM and CRLF in the translation file... so that the
pipeline is tested on data that behaves like the real thing without downloading it.

Everything is drawn from one numpy Generator seeded with `seed`, the ids are md5 hashes of
(seed, kind, index), and the rows are written in a fixed order: the same (scale, seed) gives
byte-identical files.

generate_increment() writes a later day's data on top of that base: one more day of orders
(and their customers, items, payments, reviews) selling the base's products, for `ecomctl seed
--increment` to append and the incremental models to pick up. It redraws the base's catalog
from the same stream, then draws the day from a stream of its own (seed, batch).

The reference data (the real data set's counts, shares, places and texts) is in
reference.py; this module draws from it. Only `seed` imports the generator, inside the
command, so numpy and duckdb cost `ecomctl --help` nothing.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from ecomctl.data.generator.reference import (
    _CANCELED,
    _CATEGORIES,
    _CATEGORY_PRODUCTS,
    _CITY_NAMES,
    _CREATED,
    _CREDIT_CARD,
    _DELIVERED,
    _FIRST_PAYMENT_SHARES,
    _FIRST_PURCHASE,
    _INSTALLMENTS,
    _LAST_DELIVERED_PURCHASE,
    _LAST_DELIVERY,
    _LAST_PURCHASE,
    _LATE_SHARE,
    _MESSAGE_SHARE,
    _MESSAGES,
    _MONTHLY_ORDERS,
    _NEGATIVE_MESSAGES,
    _NEGATIVE_TITLES,
    _NFD_CITY_NAMES,
    _NOT_DEFINED,
    _OTHER_CATEGORY_PRODUCTS,
    _PLAIN_CITY_NAMES,
    _POSITIVE_MESSAGES,
    _POSITIVE_TITLES,
    _REAL,
    _SCORE_SHARES,
    _SHIPPED,
    _STATUS_AT_SCALE_1,
    _TITLE_SHARE,
    _TITLES,
    _TRICKY_MESSAGES,
    _UFS,
    _UNAVAILABLE,
    _UNHAPPY_SCORE_SHARES,
    _VOUCHER,
    CATEGORY_TRANSLATION,
    PAYMENT_TYPES,
    STATES,
    STATUSES,
)
from ecomctl.data.olist import BY_TABLE, FILES

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Rng = np.random.Generator

# Bump when the output for a given (scale, seed) changes: cached generated files are keyed on it.
VERSION = "3"

# Below this the data set would lose whole statuses and payment types; smaller scales give it.
MIN_SCALE = 0.001
# Tables that would be too small to be coherent at MIN_SCALE (products hold 3 reserved kinds).
_MIN_ROWS = {"products": 40, "sellers": 10}

# Missing value in an integer column; the SQL that writes the files turns it into an empty field.
_NULL = -1
_DAY = 86_400

# --- Scale -----------------------------------------------------------------------------------


def _round(x: float) -> int:
    """Round half up (Python's round() rounds half to even, which is surprising here)."""
    return math.floor(x + 0.5)


def _effective_scale(scale: float) -> float:
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive number, not {scale}")
    return max(scale, MIN_SCALE)


def _scaled(s: float, real: int, minimum: int = 0) -> int:
    return max(minimum, _round(real * s))


@dataclass(frozen=True)
class _Shape:
    """How many of each quirk a data set holds and how its ids are named.

    The base data set (batch 0) scales the real quirk counts with a floor and makes sure that
    every status, payment type, state... occurs, so that the pipeline meets every quirk at
    any scale. An increment (batch >= 1, a later day's orders) scales them by its own size
    with no floor, as a real day would have them, and tags the ids of what it creates
    ("order@3") so that they can never equal the base's or another batch's.
    """

    s: float  # share of the real data set
    batch: int = 0

    @property
    def base(self) -> bool:
        return self.batch == 0

    def count(self, real: int, minimum: int = 0) -> int:
        return _scaled(self.s, real, minimum if self.base else 0)

    def id(self, kind: str, col: str) -> str:
        return _id(kind if self.base else f"{kind}@{self.batch}", col)


def expected_rows(scale: float) -> dict[str, int]:
    """Rows that generate() writes per landing table at this scale.

    round(real rows x scale), with scale clamped up to MIN_SCALE and a floor for the
    products and sellers; the translation file always has its 71 rows.
    """
    s = _effective_scale(scale)
    rows = {f.table: _scaled(s, f.rows_at_scale_1, _MIN_ROWS.get(f.table, 1)) for f in FILES}
    rows["category_translation"] = len(CATEGORY_TRANSLATION)
    return rows


def _status_counts(n_orders: int, shape: _Shape) -> list[int]:
    """Orders per status (STATUSES order): a few of every status, delivered the rest."""
    others = [shape.count(real, 2) for real in list(_STATUS_AT_SCALE_1.values())[1:]]
    return [n_orders - sum(others), *others]


# --- numpy helpers ---------------------------------------------------------------------------


def _probabilities(weights: Any) -> Floats:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()  # type: ignore[no-any-return]


def _copy_previous(copy: Bools) -> Ints:
    """Source row of each row when rows flagged `copy` repeat the row before them (chains
    included): the index of the last unflagged row at or before each row."""
    own = np.where(copy, 0, np.arange(len(copy), dtype=np.int64))
    return np.maximum.accumulate(own)


def _spread(rng: Rng, n_groups: int, total: int, n_multi: int) -> Ints:
    """Sizes of n_groups groups summing to total: all 1 but n_multi random groups that share
    the surplus (each at least 2, a long tail)."""
    sizes = np.ones(n_groups, dtype=np.int64)
    surplus = total - n_groups
    if surplus < 0:
        raise AssertionError(f"{total} rows cannot cover {n_groups} groups")
    # A surplus needs one group at least to take it (rounding may leave none for a small day).
    n_multi = min(max(n_multi, 1 if surplus else 0), surplus, n_groups)
    if n_multi:
        multi = rng.choice(n_groups, n_multi, replace=False)
        sizes[multi] += 1 + rng.multinomial(
            surplus - n_multi, _probabilities(rng.exponential(size=n_multi))
        )
    return sizes


def _positions(sizes: Ints) -> Ints:
    """1..size within each group, for rows laid out group after group."""
    starts = np.cumsum(sizes) - sizes
    return np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(starts, sizes) + 1


def _lognormal_int(rng: Rng, median: float, sigma: float, size: int, lo: float, hi: float) -> Ints:
    return np.clip(np.rint(rng.lognormal(math.log(median), sigma, size)), lo, hi).astype(np.int64)


# --- Tables ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """A file to write: numeric columns, and per output column the SQL that renders it."""

    name: str
    columns: dict[str, Any]
    select: dict[str, str]

    def __post_init__(self) -> None:
        if list(self.select) != BY_TABLE[self.name].column_names:
            raise AssertionError(f"{self.name}: columns differ from olist.py")

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values())))


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _id(kind: str, col: str) -> str:
    return f"olist_id('{kind}', {col})"


def _pick(values: tuple[str, ...], col: str) -> str:
    return f"{_sql_list(values)}[nullif({col}, {_NULL}) + 1]"


def _optional(col: str) -> str:
    return f"nullif({col}, {_NULL})"


def _timestamp(col: str) -> str:
    return f"make_timestamp(nullif({col}, {_NULL}) * 1000000)"


def _money(cents: str) -> str:
    return f"({cents} / 100)::DECIMAL(12, 2)"


def _zip(col: str) -> str:
    return f"lpad({col}::VARCHAR, 5, '0')"


@dataclass(frozen=True)
class _Geography:
    zip_prefix: Ints  # per zip, ascending
    zip_state: Ints
    zip_city: Ints
    zip_weight: Floats  # popularity: share of geolocation rows and of customers
    table: _Table

    def place_columns(self, prefix: str, zips: Ints) -> tuple[dict[str, Any], dict[str, str]]:
        """Zip, city (unaccented) and state columns of rows living at these zips."""
        columns = {
            "zip": self.zip_prefix[zips],
            "city": self.zip_city[zips],
            "uf": self.zip_state[zips],
        }
        select = {
            f"{prefix}_zip_code_prefix": _zip("zip"),
            f"{prefix}_city": _pick(_PLAIN_CITY_NAMES, "city"),
            f"{prefix}_state": _pick(_UFS, "uf"),
        }
        return columns, select

    def draw_zips(self, rng: Rng, state_weights: Any, size: int) -> Ints:
        """Zips of `size` people: a state by state_weights, then a zip by popularity."""
        state_p = _probabilities(state_weights)
        in_state = np.bincount(self.zip_state, self.zip_weight, minlength=len(STATES))
        p = state_p[self.zip_state] * self.zip_weight / in_state[self.zip_state]
        return rng.choice(len(p), size, p=p / p.sum())


def _zips(rng: Rng, s: float) -> tuple[Ints, Ints, Ints]:
    """Zip prefixes (ascending), their state and city; every state has at least one zip."""
    n_states = len(STATES)
    n_zips = max(2 * n_states, _scaled(s, _REAL["zips"]))
    weights = _probabilities([st.customers**0.8 for st in STATES])
    per_state = 1 + rng.multinomial(n_zips - n_states, weights)
    prefixes, states, cities = [], [], []
    city_offset = 0
    for i, st in enumerate(STATES):
        count = min(int(per_state[i]), st.zip_hi - st.zip_lo + 1)
        prefixes.append(
            st.zip_lo + np.sort(rng.choice(st.zip_hi - st.zip_lo + 1, count, replace=False))
        )
        states.append(np.full(count, i))
        # Contiguous blocks of prefixes per city, the capital first, as real zips are laid out.
        bounds = np.cumsum(_probabilities([c.weight for c in st.cities]))
        block = np.searchsorted(bounds, np.arange(count) / count, side="right")
        cities.append(city_offset + block)
        city_offset += len(st.cities)
    as_int = [np.concatenate(a).astype(np.int64) for a in (prefixes, states, cities)]
    return as_int[0], as_int[1], as_int[2]


def _geography(rng: Rng, n_rows: int, s: float) -> _Geography:
    zip_prefix, zip_state, zip_city = _zips(rng, s)
    n_zips = len(zip_prefix)
    zip_weight = rng.lognormal(0.0, 1.0, n_zips)
    # One zip is shown with both spellings of its city, whatever the scale.
    has_accents = np.array(_CITY_NAMES) != np.array(_PLAIN_CITY_NAMES)
    showcase_zip = int(np.flatnonzero(has_accents[zip_city])[0])
    rows_per_zip = 1 + rng.multinomial(n_rows - n_zips - 1, _probabilities(zip_weight))
    rows_per_zip[showcase_zip] += 1
    row_zip = np.repeat(np.arange(n_zips), rows_per_zip)
    city = zip_city[row_zip]
    lats = np.array([c.lat for st in STATES for c in st.cities])
    lngs = np.array([c.lng for st in STATES for c in st.cities])
    lat = (lats[zip_city] + rng.normal(0, 0.04, n_zips))[row_zip] + rng.normal(0, 0.01, n_rows)
    lng = (lngs[zip_city] + rng.normal(0, 0.04, n_zips))[row_zip] + rng.normal(0, 0.01, n_rows)
    accented = rng.random(n_rows) < 0.15
    same_zip = np.concatenate([[False], row_zip[1:] == row_zip[:-1]])
    duplicate = same_zip & (rng.random(n_rows) < 0.27)
    first = int(np.flatnonzero(row_zip == showcase_zip)[0])
    accented[first : first + 2] = (False, True)
    duplicate[first + 1] = False
    source = _copy_previous(duplicate)
    # Accented spellings are the first third of the pool, plain ones the second, and the
    # same accents as combining marks the third: one row is written that way, at any scale.
    spelling = city + len(_CITY_NAMES) * ~accented[source]
    decomposable = (spelling < len(_CITY_NAMES)) & has_accents[city]
    decomposable[first + 1] = False  # the showcase keeps its precomposed spelling
    if decomposable.any():
        spelling[int(np.flatnonzero(decomposable)[0])] += 2 * len(_CITY_NAMES)
    columns = {
        "zip": zip_prefix[row_zip],
        "lat": lat[source],
        "lng": lng[source],
        "city": spelling,
        "uf": zip_state[row_zip],
    }
    select = {
        "geolocation_zip_code_prefix": _zip("zip"),
        "geolocation_lat": "lat",
        "geolocation_lng": "lng",
        "geolocation_city": _pick(_CITY_NAMES + _PLAIN_CITY_NAMES + _NFD_CITY_NAMES, "city"),
        "geolocation_state": _pick(_UFS, "uf"),
    }
    table = _Table("geolocation", columns, select)
    return _Geography(zip_prefix, zip_state, zip_city, zip_weight, table)


def _customers(rng: Rng, geo: _Geography, n: int, shape: _Shape) -> _Table:
    """One customer row per order (customer i places order i); returning people share a
    customer_unique_id and their zip."""
    n_people = min(n, max(1, shape.count(_REAL["unique_customers"])))
    person = rng.permutation(
        np.concatenate([np.arange(n_people), rng.integers(0, n_people, n - n_people)])
    )
    person_zip = geo.draw_zips(rng, [st.customers for st in STATES], n_people)
    if shape.base and n_people >= len(STATES):
        # Every state has customers, however small the scale.
        first_zip_of_state = np.searchsorted(geo.zip_state, np.arange(len(STATES)))
        person_zip[rng.choice(n_people, len(STATES), replace=False)] = first_zip_of_state
    place, place_select = geo.place_columns("customer", person_zip[person])
    columns = {"c": np.arange(n), "person": person, **place}
    select = {
        "customer_id": shape.id("customer", "c"),
        "customer_unique_id": shape.id("person", "person"),
        **place_select,
    }
    return _Table("customers", columns, select)


@dataclass(frozen=True)
class _Sellers:
    popularity: Floats
    table: _Table


def _sellers(rng: Rng, geo: _Geography, n: int) -> _Sellers:
    zips = geo.draw_zips(rng, [st.sellers for st in STATES], n)
    place, place_select = geo.place_columns("seller", zips)
    table = _Table(
        "sellers",
        {"sel": np.arange(n), **place},
        {"seller_id": _id("seller", "sel"), **place_select},
    )
    return _Sellers(_probabilities(rng.lognormal(0.0, 1.5, n)), table)


@dataclass(frozen=True)
class _Products:
    price: Ints  # cents
    popularity: Floats
    seller: Ints  # the seller who sells most of the product's items
    table: _Table


def _product_categories(rng: Rng, n: int, s: float) -> Ints:
    """Category index into _CATEGORIES (_NULL: none), with exact counts of the untranslated
    and missing categories."""
    weights = [
        _CATEGORY_PRODUCTS.get(pt, _OTHER_CATEGORY_PRODUCTS) for pt, _ in CATEGORY_TRANSLATION
    ]
    category = rng.choice(len(weights), n, p=_probabilities(weights)).astype(np.int64)
    reserved = [
        (_NULL, _scaled(s, _REAL["products_without_category"], 1)),
        (len(CATEGORY_TRANSLATION), _scaled(s, _REAL["pc_gamer_products"], 1)),
        (len(CATEGORY_TRANSLATION) + 1, _scaled(s, _REAL["portateis_products"], 1)),
    ]
    values = np.repeat([value for value, _ in reserved], [count for _, count in reserved])
    category[rng.permutation(n)[: len(values)]] = values
    return category


def _products(rng: Rng, n: int, sellers: _Sellers, s: float) -> _Products:
    category = _product_categories(rng, n, s)
    no_category = category == _NULL
    described = {
        "name_len": np.clip(np.rint(rng.normal(48, 10, n)), 5, 76).astype(np.int64),
        "desc_len": _lognormal_int(rng, 600, 0.8, n, 4, 3_992),
        "photos": np.clip(rng.geometric(0.55, n), 1, 20).astype(np.int64),
    }
    for values in described.values():
        values[no_category] = _NULL  # products without category have no description either
    n_sellers = len(sellers.popularity)
    seller = rng.choice(n_sellers, n, p=sellers.popularity)
    # Every seller is the main seller of one product at least, so every seller sells.
    seller[rng.permutation(n)[:n_sellers]] = np.arange(n_sellers)
    columns = {
        "p": np.arange(n),
        "cat": category,
        **described,
        "weight": _lognormal_int(rng, 700, 1.2, n, 0, 40_425),
        "length": _lognormal_int(rng, 25, 0.5, n, 7, 105),
        "height": _lognormal_int(rng, 13, 0.6, n, 2, 105),
        "width": _lognormal_int(rng, 20, 0.45, n, 6, 118),
    }
    select = {
        "product_id": _id("product", "p"),
        "product_category_name": _pick(_CATEGORIES, "cat"),
        "product_name_lenght": _optional("name_len"),
        "product_description_lenght": _optional("desc_len"),
        "product_photos_qty": _optional("photos"),
        "product_weight_g": "weight",
        "product_length_cm": "length",
        "product_height_cm": "height",
        "product_width_cm": "width",
    }
    return _Products(
        price=_lognormal_int(rng, 7_500, 0.9, n, 85, 673_500),
        popularity=_probabilities(rng.lognormal(0.0, 1.3, n)),
        seller=seller,
        table=_Table("products", columns, select),
    )


@dataclass(frozen=True)
class _Orders:
    status: Ints
    purchase: Ints  # epoch seconds; _NULL when missing
    approved: Ints
    carrier: Ints
    delivered: Ints
    estimated: Ints
    unhappy: Bools  # late, canceled or not delivered: worse reviews
    not_defined: Ints  # canceled orders paid by one not_defined payment of 0
    without_items: Bools
    without_payment: int | None  # the base's one delivered order whose payment is missing
    table: _Table


def _month_windows(delivered: bool) -> tuple[Ints, Ints, Floats]:
    """Start, end and weight of each purchase month."""
    last = _LAST_DELIVERED_PURCHASE if delivered else _LAST_PURCHASE
    starts, ends, weights = [], [], []
    for year, month, orders in _MONTHLY_ORDERS:
        start = max(calendar.timegm((year, month, 1, 0, 0, 0)), _FIRST_PURCHASE)
        following = (year + month // 12, month % 12 + 1, 1, 0, 0, 0)
        end = min(calendar.timegm(following), last)
        starts.append(start)
        ends.append(max(end, start))
        weights.append(orders if end > start else 0)
    return np.array(starts), np.array(ends), _probabilities(weights)


def _purchases(rng: Rng, status: Ints) -> Ints:
    purchase = np.empty(len(status), dtype=np.int64)
    for is_delivered in (True, False):
        starts, ends, p = _month_windows(is_delivered)
        rows = np.flatnonzero((status == _DELIVERED) == is_delivered)
        month = rng.choice(len(p), len(rows), p=p)
        # The real span whatever the scale: a delivered order in the first month, a
        # cancellation in the last one. The first two delivered orders are the half-cent pair
        # (_half_cent_pair), alone in their month and category at the small scales.
        if is_delivered:
            month[:2] = 0
        else:
            month[np.flatnonzero(status[rows] == _CANCELED)[-1]] = len(p) - 1
        span = ends[month] - starts[month]
        purchase[rows] = starts[month] + (rng.random(len(rows)) * span).astype(np.int64)
    return purchase


def _statuses(rng: Rng, n: int, shape: _Shape) -> Ints:
    return rng.permutation(np.repeat(np.arange(len(STATUSES)), _status_counts(n, shape)))


def _orders(rng: Rng, n: int, shape: _Shape, day: int | None = None) -> _Orders:
    """The orders of the base data set, or with `day` (epoch seconds of its midnight) the
    orders bought that day."""
    status = _statuses(rng, n, shape)
    if day is None:
        purchase = _purchases(rng, status)
    else:
        purchase = day + (rng.random(n) * _DAY).astype(np.int64)
    approved = purchase + _lognormal_int(rng, 1_200, 1.5, n, 60, 7 * _DAY)
    carrier = approved + _lognormal_int(rng, 2 * _DAY, 0.8, n, 3_600, 20 * _DAY)
    estimated = (purchase // _DAY + rng.integers(10, 40, n)) * _DAY
    late = (rng.random(n) < _LATE_SHARE) | (estimated <= carrier + _DAY)
    on_time = carrier + (rng.uniform(0.15, 0.95, n) * (estimated - carrier)).astype(np.int64)
    late_date = np.maximum(
        estimated + _DAY + rng.exponential(6 * _DAY, n).astype(np.int64), carrier + _DAY
    )
    delivered = np.where(late, late_date, on_time)
    if shape.base:
        # The base data set ends on the real last delivery; an increment's deliveries come
        # after its day, as those orders run their course.
        delivered = np.minimum(delivered, _LAST_DELIVERY)
    approved, carrier, delivered = (
        np.where(has, when, _NULL)
        for has, when in zip(
            _dates_reached(rng, status), (approved, carrier, delivered), strict=True
        )
    )
    not_defined, without_items, without_payment = _order_gaps(status, shape)
    columns = {
        "o": np.arange(n),
        "status": status,
        "purchase": purchase,
        "approved": approved,
        "carrier": carrier,
        "delivered": delivered,
        "estimated": estimated,
    }
    select = {
        "order_id": shape.id("order", "o"),
        "customer_id": shape.id("customer", "o"),
        "order_status": _pick(STATUSES, "status"),
        "order_purchase_timestamp": _timestamp("purchase"),
        "order_approved_at": _timestamp("approved"),
        "order_delivered_carrier_date": _timestamp("carrier"),
        "order_delivered_customer_date": _timestamp("delivered"),
        "order_estimated_delivery_date": _timestamp("estimated"),
    }
    return _Orders(
        status=status,
        purchase=purchase,
        approved=approved,
        carrier=carrier,
        delivered=delivered,
        estimated=estimated,
        unhappy=(status != _DELIVERED) | late,
        not_defined=not_defined,
        without_items=without_items,
        without_payment=without_payment,
        table=_Table("orders", columns, select),
    )


def _dates_reached(rng: Rng, status: Ints) -> tuple[Bools, Bools, Bools]:
    """Which of an order's approval, carrier and delivery dates exist: it depends on how far
    the order went before it stopped."""
    n = len(status)
    canceled = status == _CANCELED
    has_approved = (status != _CREATED) & ~(canceled & (rng.random(n) < 0.23))
    has_carrier = np.isin(status, (_DELIVERED, _SHIPPED)) | (
        canceled & has_approved & (rng.random(n) < 0.12)
    )
    has_delivered = (status == _DELIVERED) | (canceled & has_carrier & (rng.random(n) < 0.08))
    return has_approved, has_carrier, has_delivered


def _order_gaps(status: Ints, shape: _Shape) -> tuple[Ints, Bools, int | None]:
    """The not_defined orders, the orders without items and the order without payment."""
    canceled = np.flatnonzero(status == _CANCELED)
    n_not_defined = min(len(canceled), shape.count(_REAL["not_defined_payments"], 1))
    not_defined = canceled[:n_not_defined]
    # The real orders without items are mostly unavailable ones, then created and canceled.
    candidates = np.concatenate(
        [
            not_defined,
            np.flatnonzero(status == _UNAVAILABLE),
            np.flatnonzero(status == _CREATED),
            canceled[n_not_defined:],
        ]
    )
    n_without = max(n_not_defined, shape.count(_REAL["orders_without_items"]))
    without_items = np.zeros(len(status), dtype=bool)
    without_items[candidates[:n_without]] = True
    # One unpaid order is a quirk of the whole real file, not of every day.
    without_payment = int(np.flatnonzero(status == _DELIVERED)[0]) if shape.base else None
    return not_defined, without_items, without_payment


# The items of the half-cent pair: prices and freight sum to 148.73 BRL over two orders, a mean
# of exactly 74.365 per order, which is 74.37 to the cent (half away from zero); a division in
# binary floating point holds 74.36499999... and rounds it to 74.36 (the issue seen on real data).
_HALF_CENT_PRICES = 11_980
_HALF_CENT_FREIGHT = 2_893


def _delivered_pair(orders: _Orders) -> Ints:
    """The half-cent pair: the base's first two delivered orders, bought in the first month."""
    return np.flatnonzero(orders.status == _DELIVERED)[:2]


def _evenly(total: int, parts: int) -> Ints:
    """Cents in `parts` shares summing to total, the first taking what division leaves."""
    shares = np.full(parts, total // parts, dtype=np.int64)
    shares[0] += total % parts
    return shares


def _half_cent_pair(
    orders: _Orders, products: _Products, order: Ints, product: Ints, seller: Ints, covering: Ints
) -> None:
    """Make every item of the half-cent pair one product (in place), so that the pair is one
    (month, category) row of gold: a category that no other delivered order of the first month
    buys. A product the pair no longer sells takes over an item of a product sold more than
    once (not one of the covering items), so that every product and seller still sells."""
    pair = _delivered_pair(orders)
    later = np.flatnonzero(orders.status == _DELIVERED)[2:]
    others = later[orders.purchase[later] < int(_month_windows(True)[1][0])]
    category = products.table.columns["cat"]
    taken = set(category[product[np.isin(order, others)]].tolist())
    rows = np.flatnonzero(np.isin(order, pair))
    candidates = np.concatenate([product[rows], np.arange(len(products.price))])
    chosen = next(int(p) for p in candidates if int(category[p]) not in taken)
    displaced = sorted(set(product[rows].tolist()) - {chosen})
    product[rows] = chosen
    seller[rows] = products.seller[chosen]
    spare = np.ones(len(product), dtype=bool)
    spare[rows] = False
    spare[covering] = False
    for lost in displaced:
        if (product == lost).any():
            continue
        sold = np.bincount(product, minlength=len(products.price))
        row = int(np.flatnonzero(spare & (sold[product] > 1))[0])
        product[row] = lost
        seller[row] = products.seller[lost]
        spare[row] = False


@dataclass(frozen=True)
class _Items:
    order_total: Ints  # cents of price + freight per order (0 without items)
    table: _Table


def _items(
    rng: Rng, orders: _Orders, products: _Products, sellers: _Sellers, n: int, shape: _Shape
) -> _Items:
    with_items = np.flatnonzero(~orders.without_items)
    sizes = _spread(rng, len(with_items), n, shape.count(_REAL["multi_item_orders"], 1))
    order = np.repeat(with_items, sizes)
    item_no = _positions(sizes)
    n_products = len(products.price)
    product = rng.choice(n_products, n, p=products.popularity)
    covering = np.empty(0, dtype=np.int64)
    if shape.base:
        # Every product sells at least once, through its main seller.
        covering = rng.choice(np.flatnonzero(item_no == 1), n_products, replace=False)
        product[covering] = rng.permutation(n_products)
    seller = products.seller[product]
    other_seller = rng.random(n) < 0.08
    other_seller[covering] = False
    seller[other_seller] = rng.choice(
        len(sellers.popularity), int(other_seller.sum()), p=sellers.popularity
    )
    # Later items of an order often repeat the previous one (same product, same seller).
    source = _copy_previous((item_no > 1) & (rng.random(n) < 0.55))
    product, seller = product[source], seller[source]
    freight = _lognormal_int(rng, 1_600, 0.6, n, 0, 40_954)
    freight[rng.random(n) < 0.0034] = 0
    if shape.base:
        _half_cent_pair(orders, products, order, product, seller, covering)
    price = products.price[product]
    if shape.base:
        pair_rows = np.flatnonzero(np.isin(order, _delivered_pair(orders)))
        price[pair_rows] = _evenly(_HALF_CENT_PRICES, len(pair_rows))
        freight[pair_rows] = _evenly(_HALF_CENT_FREIGHT, len(pair_rows))
    ready = np.where(orders.approved != _NULL, orders.approved, orders.purchase)
    deadline = ready + 6 * _DAY + rng.integers(0, 2 * _DAY, len(ready))
    columns = {
        "o": order,
        "item_no": item_no,
        "p": product,
        "sel": seller,
        "deadline": deadline[order],
        "price": price,
        "freight": freight,
    }
    select = {
        "order_id": shape.id("order", "o"),
        "order_item_id": "item_no",
        "product_id": _id("product", "p"),
        "seller_id": _id("seller", "sel"),
        "shipping_limit_date": _timestamp("deadline"),
        "price": _money("price"),
        "freight_value": _money("freight"),
    }
    total = np.bincount(order, price + freight, minlength=len(orders.status))
    return _Items(np.rint(total).astype(np.int64), _Table("order_items", columns, select))


def _split(rng: Rng, amount: Ints, payer: Ints, sequential: Ints) -> Ints:
    """Cents of each payment row so that an order's rows sum exactly to its amount: the first
    payment takes most of it and what rounding leaves over."""
    n_rows = len(payer)
    weight = np.where(
        sequential == 1, rng.uniform(1.0, 3.0, n_rows), rng.uniform(0.05, 1.0, n_rows)
    )
    share = weight / np.bincount(payer, weight)[payer]
    value = np.floor(amount[payer] * share).astype(np.int64)
    first = sequential == 1
    value[first] = 0
    value[first] = amount - np.bincount(payer, value, minlength=len(amount)).astype(np.int64)
    return value


def _payments(rng: Rng, orders: _Orders, items: _Items, n: int, shape: _Shape) -> _Table:
    payers = np.arange(len(orders.status))
    if orders.without_payment is not None:
        payers = np.delete(payers, orders.without_payment)
    multi_ok = ~orders.without_items[payers]
    sizes = np.ones(len(payers), dtype=np.int64)
    # Only orders with items pay in several goes (a card or boleto plus vouchers).
    sizes[multi_ok] = _spread(
        rng,
        int(multi_ok.sum()),
        n - int((~multi_ok).sum()),
        shape.count(_REAL["multi_payment_orders"], 1),
    )
    payer = np.repeat(np.arange(len(payers)), sizes)
    sequential = _positions(sizes)
    first_type = rng.choice(4, len(payers), p=_FIRST_PAYMENT_SHARES)
    if shape.base:
        # Every payment type occurs, however small the scale.
        first_type[rng.choice(np.flatnonzero(multi_ok), 4, replace=False)] = np.arange(4)
    kind = np.where(sequential == 1, first_type[payer], _VOUCHER)
    amount = np.where(
        multi_ok,
        items.order_total[payers],
        _lognormal_int(rng, 9_000, 0.9, len(payers), 500, 500_000),
    )
    not_defined = np.isin(payers, orders.not_defined)
    amount[not_defined] = 0
    kind[not_defined[payer]] = _NOT_DEFINED
    value = _split(rng, amount, payer, sequential)
    first_row = np.cumsum(sizes) - sizes
    zeroed = rng.permutation(np.flatnonzero(sequential > 1))[
        : shape.count(_REAL["zero_value_vouchers"])
    ]
    np.add.at(value, first_row[payer[zeroed]], value[zeroed])
    value[zeroed] = 0
    installments = np.where(
        kind == _CREDIT_CARD,
        rng.choice(list(_INSTALLMENTS), n, p=_probabilities(list(_INSTALLMENTS.values()))),
        1,
    )
    cards = np.flatnonzero(kind == _CREDIT_CARD)
    installments[rng.permutation(cards)[: shape.count(_REAL["zero_installment_payments"], 1)]] = 0
    columns = {
        "o": payers[payer],
        "seq": sequential,
        "kind": kind,
        "installments": installments,
        "value": value,
    }
    select = {
        "order_id": shape.id("order", "o"),
        "payment_sequential": "seq",
        "payment_type": _pick(PAYMENT_TYPES, "kind"),
        "payment_installments": "installments",
        "payment_value": _money("value"),
    }
    return _Table("order_payments", columns, select)


def _texts(rng: Rng, happy: Bools, share: float, n_positive: int, n_negative: int) -> Ints:
    """Index into a pool of positive then negative texts matching the score; _NULL (no text)
    for 1 - share of the rows."""
    n = len(happy)
    text = np.where(
        happy, rng.integers(0, n_positive, n), n_positive + rng.integers(0, n_negative, n)
    )
    return np.where(rng.random(n) < share, text, _NULL)


def _reviews(rng: Rng, orders: _Orders, n: int, shape: _Shape) -> _Table:
    n_orders = len(orders.status)
    n_reviewed = min(n_orders, n - shape.count(_REAL["extra_reviews"], 1))
    reviewed = rng.choice(n_orders, n_reviewed, replace=False)
    order = np.concatenate([reviewed, rng.choice(reviewed, n - n_reviewed)])
    earlier, later = _shared_review_pairs(rng, orders.purchase[order], n_reviewed, shape)
    later_review = np.arange(n) >= n_reviewed
    unhappy = orders.unhappy[order]
    score = 1 + np.where(
        unhappy, rng.choice(5, n, p=_UNHAPPY_SCORE_SHARES), rng.choice(5, n, p=_SCORE_SHARES)
    )
    title = _texts(rng, score >= 4, _TITLE_SHARE, len(_POSITIVE_TITLES), len(_NEGATIVE_TITLES))
    message = _texts(
        rng, score >= 4, _MESSAGE_SHARE, len(_POSITIVE_MESSAGES), len(_NEGATIVE_MESSAGES)
    )
    # Every file gets the tricky messages, an increment's too: appending must parse them.
    # Rows about to take another review's content would lose theirs.
    free = message != _NULL
    free[earlier] = False
    tricky = np.flatnonzero(free)[: len(_TRICKY_MESSAGES)]
    message[tricky] = len(_POSITIVE_MESSAGES) + len(_NEGATIVE_MESSAGES) + np.arange(len(tricky))
    # Surveys go out on the (real or promised) delivery day; a later review of the same order
    # comes days after.
    sent = np.where(orders.delivered != _NULL, orders.delivered, orders.estimated)[order]
    created = (sent // _DAY + rng.integers(0, 3, n) + later_review * rng.integers(1, 30, n)) * _DAY
    answered = created + _lognormal_int(rng, 1.5 * _DAY, 1.0, n, 3_600, 60 * _DAY)
    review = {
        "r": np.arange(n),
        "score": score,
        "title": title,
        "message": message,
        "created": created,
        "answered": answered,
    }
    for values in review.values():
        values[earlier] = values[later]
    perm = rng.permutation(n)
    columns = {name: values[perm] for name, values in {**review, "o": order}.items()}
    select = {
        "review_id": shape.id("review", "r"),
        "order_id": shape.id("order", "o"),
        "review_score": "score",
        "review_comment_title": _pick(_TITLES, "title"),
        "review_comment_message": _pick(_MESSAGES, "message"),
        "review_creation_date": _timestamp("created"),
        "review_answer_timestamp": _timestamp("answered"),
    }
    return _Table("order_reviews", columns, select)


def _shared_review_pairs(
    rng: Rng, purchase: Ints, n_reviewed: int, shape: _Shape
) -> tuple[Ints, Ints]:
    """Rows (earlier, later) where the earlier row takes the id and content of the later one,
    as the real file does for orders bought together.

    Both are first reviews of distinct orders (rows below n_reviewed), so (review_id,
    order_id) stays unique. Pairs are orders bought close in time, and the earlier purchase
    takes the later one's review so that the review still follows both purchases.
    """
    n_pairs = min(shape.count(_REAL["duplicate_review_ids"], 1), n_reviewed // 2)
    rows = rng.choice(n_reviewed, 2 * n_pairs, replace=False)
    pairs = rows[np.argsort(purchase[rows], kind="stable")].reshape(n_pairs, 2)
    return pairs[:, 0], pairs[:, 1]


def _write_translation(path: Path) -> None:
    """The translation file keeps the real one's UTF-8 BOM and CRLF line endings."""
    lines = [",".join(BY_TABLE["category_translation"].column_names)]
    lines += [f"{pt},{en}" for pt, en in CATEGORY_TRANSLATION]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))


def _copy_to_csv(con: duckdb.DuckDBPyConnection, table: _Table, path: Path) -> None:
    con.register("frame", table.columns)
    select = ", ".join(f'{expr} AS "{name}"' for name, expr in table.select.items())
    target = str(path).replace("'", "''")
    # DuckDB quotes a field only when it holds a comma, quote or newline, doubles the quotes
    # and writes NULL as an empty field, like the real files.
    con.execute(f"COPY (SELECT {select} FROM frame) TO '{target}' (FORMAT csv, HEADER true)")
    con.unregister("frame")


def _write(out_dir: Path, seed: int, tables: list[_Table]) -> dict[str, int]:
    """Write each table to its file in out_dir; return rows per landing table name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    with duckdb.connect() as con:
        # Insertion order is what makes the files byte-identical run after run.
        con.execute("SET preserve_insertion_order = true")
        con.execute(f"CREATE MACRO olist_id(kind, i) AS md5(concat('{int(seed)}:', kind, ':', i))")
        for table in tables:
            _copy_to_csv(con, table, out_dir / BY_TABLE[table.name].filename)
            written[table.name] = table.rows
    return written


def _catalog(rng: Rng, rows: dict[str, int], s: float) -> tuple[_Geography, _Sellers, _Products]:
    """Places, sellers and products: the first draws from the (scale, seed) stream, so that an
    increment redraws exactly the base's catalog to sell from."""
    geo = _geography(rng, rows["geolocation"], s)
    sellers = _sellers(rng, geo, rows["sellers"])
    products = _products(rng, rows["products"], sellers, s)
    return geo, sellers, products


def generate(out_dir: Path, scale: float = 0.1, seed: int = 42) -> dict[str, int]:
    """Write the 9 Olist CSV files into out_dir; return rows written per landing table name.

    The rows are expected_rows(scale); the same (scale, seed) always writes the same bytes
    (with this VERSION and numpy's random streams). Raises ValueError for a scale that is not
    a positive number.
    """
    rows = expected_rows(scale)
    s = _effective_scale(scale)
    shape = _Shape(s)
    rng = np.random.default_rng(seed)
    geo, sellers, products = _catalog(rng, rows, s)
    orders = _orders(rng, rows["orders"], shape)
    items = _items(rng, orders, products, sellers, rows["order_items"], shape)
    tables = [
        geo.table,
        sellers.table,
        products.table,
        orders.table,
        items.table,
        _customers(rng, geo, rows["customers"], shape),
        _payments(rng, orders, items, rows["order_payments"], shape),
        _reviews(rng, orders, rows["order_reviews"], shape),
    ]
    written = _write(out_dir, seed, tables)
    written["category_translation"] = len(CATEGORY_TRANSLATION)
    _write_translation(out_dir / BY_TABLE["category_translation"].filename)
    if written != rows:
        raise AssertionError(f"generator wrote {written}, expected {rows}")
    return {f.table: written[f.table] for f in FILES}


# --- Increments ------------------------------------------------------------------------------

# The files of an increment: one more day's orders and what hangs off them.
INCREMENT_TABLES = ("customers", "order_items", "order_payments", "order_reviews", "orders")
# The real data set's ~99,000 orders came in over about two years.
_ORDERS_PER_DAY = _round(BY_TABLE["orders"].rows_at_scale_1 / 730)
# However small the scale, a day brings a few orders, so that an incremental run has work.
_MIN_INCREMENT_ORDERS = 5


def increment_orders(scale: float) -> int:
    """Orders in one increment: a real day's orders at this scale, at least a few."""
    return max(_MIN_INCREMENT_ORDERS, _round(_ORDERS_PER_DAY * _effective_scale(scale)))


def generate_increment(out_dir: Path, scale: float, seed: int, batch: int) -> dict[str, int]:
    """Write a later day's data into out_dir; return rows written per landing table name.

    Batch 1 is the day after the base data's last purchase, batch 2 the day after that...:
    increment_orders(scale) new orders bought that day, with their customers, items,
    payments and reviews, in the 5 files of INCREMENT_TABLES (the base's columns and format).
    Items sell the products of generate(scale, seed) through its sellers; the new orders,
    customers, people and reviews have ids that no base data set and no other batch has.
    The same (scale, seed, batch) always writes the same bytes. Raises ValueError for a scale
    that is not a positive number or a batch below 1.
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an integer from 1, not {batch!r}")
    s = _effective_scale(scale)
    # Redrawing the start of the base's stream costs a little time (about 2 s at scale 10,
    # mostly geolocation) but gives the base's very products, prices and sellers, and the
    # base's last purchase that batch 1 follows.
    rows = expected_rows(scale)
    base = np.random.default_rng(seed)
    geo, sellers, products = _catalog(base, rows, s)
    last_purchase = int(_purchases(base, _statuses(base, rows["orders"], _Shape(s))).max())
    n = increment_orders(scale)
    shape = _Shape(n / BY_TABLE["orders"].rows_at_scale_1, batch)
    # Its own stream per batch: batches neither shift nor repeat one another.
    rng = np.random.default_rng([seed, batch])
    orders = _orders(rng, n, shape, day=(last_purchase // _DAY + batch) * _DAY)
    with_items = int((~orders.without_items).sum())
    items = _items(
        rng, orders, products, sellers, with_items + shape.count(_REAL["extra_items"]), shape
    )
    # Every order of an increment pays (the one unpaid order is the base's).
    n_payments = n + shape.count(_REAL["extra_payments"])
    n_reviews = n - shape.count(_REAL["unreviewed_orders"]) + shape.count(_REAL["extra_reviews"])
    tables = [
        orders.table,
        items.table,
        _customers(rng, geo, n, shape),
        _payments(rng, orders, items, n_payments, shape),
        _reviews(rng, orders, n_reviews, shape),
    ]
    written = _write(out_dir, seed, tables)
    return {table: written[table] for table in INCREMENT_TABLES}
