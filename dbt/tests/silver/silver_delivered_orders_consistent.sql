{#-
  The delivered orders with items are the same set size in fact_orders, fact_order_items and
  landing, and fact_orders' per-order item totals add up to the item-grain total.
-#}
with landing_counts as (

    {{ landing_delivered_orders() }}

),

orders_counts as (

    select
        count(*) as orders_delivered,
        sum(case when items_count > 0 then 1 else 0 end) as orders_delivered_with_items,
        sum(items_total_value) as orders_items_total_value
    from {{ ref('fact_orders') }}
    where order_status = 'delivered'

),

items_counts as (

    select
        count(distinct order_id) as items_delivered_orders,
        sum(price + freight_value) as items_total_value
    from {{ ref('fact_order_items') }}
    where order_status = 'delivered'

)

select *
from landing_counts
cross join orders_counts
cross join items_counts
where landing_delivered_orders <> orders_delivered
    or landing_delivered_orders_with_items <> orders_delivered_with_items
    or orders_delivered_with_items <> items_delivered_orders
    or {{ amounts_differ('orders_items_total_value', 'items_total_value') }}
