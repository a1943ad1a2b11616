{#-
  Reconciliation, gold vs landing: the total sales of every gold sales report equals the
  delivered items' price + freight summed straight from landing (silver is checked against
  the same landing figure by tests/silver/silver_item_sales_match_landing.sql, so
  gold == silver == landing). The guide's item x payment fan-out would fail this.
-#}
with landing_delivered as (

    {{ landing_delivered_sales() }}

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
where {{ amounts_differ('landing_sales', 'monthly_sales') }}
    or {{ amounts_differ('landing_sales', 'daily_sales') }}
    or {{ amounts_differ('landing_sales', 'state_sales') }}
