{#-
  The delivered orders with items are the same set size in fact_orders, fact_order_items and
  landing, and fact_orders' per-order item totals add up to the item-grain total.
-#}
{%- set tolerance = var('reconciliation_tolerance', 0.01) -%}

with landing_orders as (

    select order_id, lower(trim(order_status)) as order_status
    from {{ landing_latest('orders', ['order_id']) }} as o

),

landing_items as (

    select distinct order_id
    from {{ landing_latest('order_items', ['order_id', 'order_item_id']) }} as i

),

landing_counts as (

    select
        count(*) as landing_delivered_orders,
        sum(case when landing_items.order_id is not null then 1 else 0 end)
            as landing_delivered_orders_with_items
    from landing_orders
    left join landing_items
        on landing_orders.order_id = landing_items.order_id
    where landing_orders.order_status = 'delivered'

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
    or abs(coalesce(orders_items_total_value, 0) - coalesce(items_total_value, 0)) > {{ tolerance }}
