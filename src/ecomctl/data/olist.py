"""The Olist data set's files: names, columns, types and grain, declared once.

The generator writes these files, the loader reads them with these types, and the dbt
sources describe the landing tables built from them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    # A DuckDB type name; zip prefixes and ids stay VARCHAR to keep leading zeros.
    type: str


@dataclass(frozen=True)
class OlistFile:
    table: str  # landing table name
    filename: str
    columns: tuple[Column, ...]
    # The true grain; empty when the file has no key (geolocation has exact duplicates).
    key: tuple[str, ...]
    rows_at_scale_1: int

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _cols(spec: str) -> tuple[Column, ...]:
    return tuple(Column(*part.split(":")) for part in spec.split())


TS = "TIMESTAMP"

FILES: tuple[OlistFile, ...] = (
    OlistFile(
        "customers",
        "olist_customers_dataset.csv",
        _cols(
            "customer_id:VARCHAR customer_unique_id:VARCHAR customer_zip_code_prefix:VARCHAR "
            "customer_city:VARCHAR customer_state:VARCHAR"
        ),
        ("customer_id",),
        99_441,
    ),
    OlistFile(
        "geolocation",
        "olist_geolocation_dataset.csv",
        _cols(
            "geolocation_zip_code_prefix:VARCHAR geolocation_lat:DOUBLE geolocation_lng:DOUBLE "
            "geolocation_city:VARCHAR geolocation_state:VARCHAR"
        ),
        (),
        1_000_163,
    ),
    OlistFile(
        "order_items",
        "olist_order_items_dataset.csv",
        _cols(
            f"order_id:VARCHAR order_item_id:INTEGER product_id:VARCHAR seller_id:VARCHAR "
            f"shipping_limit_date:{TS} price:DOUBLE freight_value:DOUBLE"
        ),
        ("order_id", "order_item_id"),
        112_650,
    ),
    OlistFile(
        "order_payments",
        "olist_order_payments_dataset.csv",
        _cols(
            "order_id:VARCHAR payment_sequential:INTEGER payment_type:VARCHAR "
            "payment_installments:INTEGER payment_value:DOUBLE"
        ),
        ("order_id", "payment_sequential"),
        103_886,
    ),
    OlistFile(
        "order_reviews",
        "olist_order_reviews_dataset.csv",
        _cols(
            f"review_id:VARCHAR order_id:VARCHAR review_score:INTEGER "
            f"review_comment_title:VARCHAR review_comment_message:VARCHAR "
            f"review_creation_date:{TS} review_answer_timestamp:{TS}"
        ),
        ("review_id", "order_id"),
        99_224,
    ),
    OlistFile(
        "orders",
        "olist_orders_dataset.csv",
        _cols(
            f"order_id:VARCHAR customer_id:VARCHAR order_status:VARCHAR "
            f"order_purchase_timestamp:{TS} order_approved_at:{TS} "
            f"order_delivered_carrier_date:{TS} order_delivered_customer_date:{TS} "
            f"order_estimated_delivery_date:{TS}"
        ),
        ("order_id",),
        99_441,
    ),
    OlistFile(
        "products",
        "olist_products_dataset.csv",
        # The misspelled "lenght" columns are the real file's names.
        _cols(
            "product_id:VARCHAR product_category_name:VARCHAR product_name_lenght:DOUBLE "
            "product_description_lenght:DOUBLE product_photos_qty:DOUBLE "
            "product_weight_g:DOUBLE product_length_cm:DOUBLE product_height_cm:DOUBLE "
            "product_width_cm:DOUBLE"
        ),
        ("product_id",),
        32_951,
    ),
    OlistFile(
        "sellers",
        "olist_sellers_dataset.csv",
        _cols(
            "seller_id:VARCHAR seller_zip_code_prefix:VARCHAR seller_city:VARCHAR "
            "seller_state:VARCHAR"
        ),
        ("seller_id",),
        3_095,
    ),
    OlistFile(
        "category_translation",
        "product_category_name_translation.csv",
        _cols("product_category_name:VARCHAR product_category_name_english:VARCHAR"),
        ("product_category_name",),
        71,
    ),
)

BY_TABLE: dict[str, OlistFile] = {f.table: f for f in FILES}
