{#-
  Grain: one row per order item (order_id, order_item_id), never joined to payments, so
  summing price / freight_value never fans out. Carries the order's status, purchase time
  and customer so that sales can be aggregated without joining back to the orders.
  Incremental: orders touched by new bronze orders or items rows are recomputed and merged.
-#}
{{ config(unique_key=['order_id', 'order_item_id']) }}

with

{{ changed_orders_cte(['orders', 'order_items']) }}

items as (

    select * from {{ ref('order_items') }}
    {{ only_changed_orders() }}

),

orders as (

    select * from {{ ref('orders') }}
    {{ only_changed_orders() }}

)

select
    items.order_id,
    items.order_item_id,
    items.product_id,
    items.seller_id,
    orders.customer_id,
    orders.order_status,
    orders.order_purchase_timestamp,
    cast(orders.order_purchase_timestamp as date) as order_purchase_date,
    items.shipping_limit_date,
    items.price,
    items.freight_value,
    items.price + items.freight_value as item_total_value,
    greatest(items._loaded_at, coalesce(orders._loaded_at, items._loaded_at)) as _loaded_at
from items
left join orders
    on items.order_id = orders.order_id
