{#-
  Reconciliation, silver vs landing: the sales of delivered orders in fact_order_items
  (sum of price + freight_value, item count, distinct orders) equal those computed straight
  from the landing tables (latest row per key). Returns a row (= fails) on any difference
  beyond var('reconciliation_tolerance', 0.01) BRL.
-#}
with landing_delivered as (

    {{ landing_delivered_sales() }}

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
where {{ amounts_differ('landing_sales', 'silver_sales') }}
    or landing_items <> silver_items
    or landing_orders <> silver_orders
