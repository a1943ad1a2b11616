{#-
  `monthly` has one value per purchase month (the guide's date_format bug collapsed every
  month into a single row; see also the at_least_distinct_values test):
    - the months of sales_values_by_category are exactly the 'YYYY-MM' of the delivered
      orders with items in landing;
    - delivery_performance_monthly has, per month, exactly landing's delivered orders.
-#}
with landing_months as (

    {{ landing_delivered_orders(per_month=true) }}

),

sales_months as (

    select distinct monthly from {{ ref('sales_values_by_category') }}

),

delivery_months as (

    select monthly, delivered_orders from {{ ref('delivery_performance_monthly') }}

)

select
    coalesce(landing_months.monthly, sales_months.monthly) as monthly,
    'month missing from or extra in sales_values_by_category' as problem
from (select * from landing_months where landing_delivered_orders_with_items > 0) as landing_months
full outer join sales_months
    on landing_months.monthly = sales_months.monthly
where landing_months.monthly is null or sales_months.monthly is null

union all

select
    coalesce(landing_months.monthly, delivery_months.monthly) as monthly,
    'delivered orders of the month differ in delivery_performance_monthly' as problem
from landing_months
full outer join delivery_months
    on landing_months.monthly = delivery_months.monthly
where landing_months.monthly is null
    or delivery_months.monthly is null
    or landing_months.landing_delivered_orders <> delivery_months.delivered_orders
