"""Gold's money recomputed from the generated CSV files in exact decimals, independently of
the pipeline: what tests/stacks/embedded/test_exact_money.py and the native stack's tests
compare gold with."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

CENT = Decimal("0.01")
Key = tuple[str, ...]


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    """A landing CSV file's rows, as its columns name them."""
    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def product_categories(files: Path) -> dict[str, str]:
    """Each product's category as gold names it: English where translated, else Portuguese,
    `unknown` without one."""
    english = {r["product_category_name"]: r["product_category_name_english"]
               for r in rows(files, "product_category_name_translation.csv")}  # fmt: skip
    category = {}
    for p in rows(files, "olist_products_dataset.csv"):
        pt = p["product_category_name"]
        category[p["product_id"]] = "unknown" if not pt else english.get(pt, pt)
    return category


def landing_sales(files: Path) -> dict[str, dict[Key, tuple[Decimal, int]]]:
    """Delivered items' price + freight and distinct orders, per (month, category), per
    (day, category) and per customer state, summed as exact decimals from the CSV files."""
    category = product_categories(files)
    state = {c["customer_id"]: c["customer_state"]
             for c in rows(files, "olist_customers_dataset.csv")}  # fmt: skip
    delivered = {o["order_id"]: o for o in rows(files, "olist_orders_dataset.csv")
                 if o["order_status"] == "delivered"}  # fmt: skip
    sales: dict[str, dict[Key, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    bills: dict[str, dict[Key, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item in rows(files, "olist_order_items_dataset.csv"):
        order = delivered.get(item["order_id"])
        if order is None:
            continue
        bought, cat = order["order_purchase_timestamp"], category[item["product_id"]]
        for report, key in (
            ("monthly", (bought[:7], cat)),
            ("daily", (bought[:10], cat)),
            ("state", (state[order["customer_id"]],)),
        ):
            sales[report][key] += Decimal(item["price"]) + Decimal(item["freight_value"])
            bills[report][key].add(order["order_id"])
    return {
        report: {key: (total, len(bills[report][key])) for key, total in by_key.items()}
        for report, by_key in sales.items()
    }


def exact_mean(total: Decimal, count: int) -> Decimal:
    return (total / count).quantize(CENT, rounding=ROUND_HALF_UP)  # half away from zero


def is_half_cent(total: Decimal, count: int) -> bool:
    return (total * 100 / count) % 1 == Decimal("0.5")
