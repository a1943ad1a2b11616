{#-
  Reconciliation, silver vs landing: the sales of delivered orders in fact_order_items
  (sum of price + freight_value, item count, distinct orders) equal those computed straight
  from the landing tables (latest row per key). Returns a row (= fails) on any difference
  beyond var('reconciliation_tolerance', 0.01) BRL.
-#}
{%- set tolerance = var('reconciliation_tolerance', 0.01) -%}

with landing_orders as (

    select order_id, lower(trim(order_status)) as order_status
    from {{ landing_latest('orders', ['order_id']) }} as o

),

landing_items as (

    select
        order_id,
        {{ to_double_clean('price') }} as price,
        {{ to_double_clean('freight_value') }} as freight_value
    from {{ landing_latest('order_items', ['order_id', 'order_item_id']) }} as i

),

landing_delivered as (

    select
        sum(landing_items.price + landing_items.freight_value) as landing_sales,
        count(*) as landing_items,
        count(distinct landing_items.order_id) as landing_orders
    from landing_items
    inner join landing_orders
        on landing_items.order_id = landing_orders.order_id
    where landing_orders.order_status = 'delivered'

),

silver_delivered as (

    select
        sum(price + freight_value) as silver_sales,
        count(*) as silver_items,
        count(distinct order_id) as silver_orders
    from {{ ref('fact_order_items') }}
    where order_status = 'delivered'

)

select *
from landing_delivered
cross join silver_delivered
where abs(coalesce(landing_sales, 0) - coalesce(silver_sales, 0)) > {{ tolerance }}
    or landing_items <> silver_items
    or landing_orders <> silver_orders
