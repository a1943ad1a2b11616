{#-
  Reconciliation, gold vs landing: the total sales of every gold sales report equals the
  delivered items' price + freight summed straight from landing (silver is checked against
  the same landing figure by tests/silver/silver_item_sales_match_landing.sql, so
  gold == silver == landing). The guide's item x payment fan-out would fail this.
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

    select sum(landing_items.price + landing_items.freight_value) as landing_sales
    from landing_items
    inner join landing_orders
        on landing_items.order_id = landing_orders.order_id
    where landing_orders.order_status = 'delivered'

),

monthly as (

    select sum(total_sales) as monthly_sales from {{ ref('sales_values_by_category') }}

),

daily as (

    select sum(sales) as daily_sales from {{ ref('daily_sales_categories') }}

),

by_state as (

    select sum(total_sales) as state_sales from {{ ref('sales_by_customer_state') }}

)

select *
from landing_delivered
cross join monthly
cross join daily
cross join by_state
where abs(coalesce(landing_sales, 0) - coalesce(monthly_sales, 0)) > {{ tolerance }}
    or abs(coalesce(landing_sales, 0) - coalesce(daily_sales, 0)) > {{ tolerance }}
    or abs(coalesce(landing_sales, 0) - coalesce(state_sales, 0)) > {{ tolerance }}
