{#-
  Every money column of gold equals its exact decimal computation from silver, to the cent:
  total_sales, sales and payment_value are silver's decimal sums, equal (no tolerance), and
  values_per_bills is total / bills rounded once, half away from zero (not_cents_of_mean:
  checked by multiplication, so no engine's division rule can hide an error). A mean computed
  in floating point fails here on a half cent such as 148.73 / 2 = 74.365 (stored 74.36).
  Silver is read here on its own, without the gold macros, and a row that gold lacks (or
  has in excess) is reported too. One row per wrong value: model, grain, column, gold's value,
  silver's total and count.
-#}
with items as (

    select
        items.order_id,
        items.customer_id,
        {{ month_label('items.order_purchase_timestamp') }} as monthly,
        items.order_purchase_date as daily,
        coalesce(products.category, 'unknown') as category,
        items.price + items.freight_value as item_sales
    from {{ ref('fact_order_items') }} as items
    left join {{ ref('dim_products') }} as products
        on items.product_id = products.product_id
    where items.order_status = 'delivered'

),

silver_monthly as (

    select monthly, category, sum(item_sales) as total, count(distinct order_id) as bills
    from items
    group by monthly, category

),

silver_daily as (

    select daily, category, sum(item_sales) as total
    from items
    group by daily, category

),

silver_states as (

    select
        coalesce(customers.customer_state, 'unknown') as customer_state,
        sum(items.item_sales) as total,
        count(distinct items.order_id) as bills
    from items
    left join {{ ref('dim_customers') }} as customers
        on items.customer_id = customers.customer_id
    group by coalesce(customers.customer_state, 'unknown')

),

silver_payments as (

    select
        {{ month_label('order_purchase_timestamp') }} as monthly,
        payment_type,
        sum(payment_value) as total
    from {{ ref('fact_payments') }}
    where order_purchase_timestamp is not null
    group by {{ month_label('order_purchase_timestamp') }}, payment_type

),

monthly as (

    select
        coalesce(gold.monthly, silver.monthly) as monthly,
        coalesce(gold.category, silver.category) as category,
        gold.total_sales,
        gold.values_per_bills,
        silver.total,
        silver.bills
    from {{ ref('sales_values_by_category') }} as gold
    full outer join silver_monthly as silver
        on gold.monthly is not distinct from silver.monthly
        and gold.category is not distinct from silver.category

),

daily as (

    select
        coalesce(gold.daily, silver.daily) as daily,
        coalesce(gold.category, silver.category) as category,
        gold.sales,
        silver.total
    from {{ ref('daily_sales_categories') }} as gold
    full outer join silver_daily as silver
        on gold.daily is not distinct from silver.daily
        and gold.category is not distinct from silver.category

),

states as (

    select
        coalesce(gold.customer_state, silver.customer_state) as customer_state,
        gold.total_sales,
        gold.values_per_bills,
        silver.total,
        silver.bills
    from {{ ref('sales_by_customer_state') }} as gold
    full outer join silver_states as silver
        on gold.customer_state is not distinct from silver.customer_state

),

payments as (

    select
        coalesce(gold.monthly, silver.monthly) as monthly,
        coalesce(gold.payment_type, silver.payment_type) as payment_type,
        gold.payment_value,
        silver.total
    from {{ ref('payment_type_mix') }} as gold
    full outer join silver_payments as silver
        on gold.monthly is not distinct from silver.monthly
        and gold.payment_type is not distinct from silver.payment_type

),

checked as (

    select
        'sales_values_by_category' as model,
        monthly || ' ' || category as grain,
        'total_sales' as money_column,
        total_sales as gold_value,
        total as silver_total,
        bills as silver_count
    from monthly
    where total_sales is null or total is null or total_sales <> total

    union all

    select
        'sales_values_by_category', monthly || ' ' || category, 'values_per_bills',
        values_per_bills, total, bills
    from monthly
    where total is not null and {{ not_cents_of_mean('values_per_bills', 'total', 'bills') }}

    union all

    select
        'daily_sales_categories', cast(daily as {{ dbt.type_string() }}) || ' ' || category,
        'sales', sales, total, null
    from daily
    where sales is null or total is null or sales <> total

    union all

    select
        'sales_by_customer_state', customer_state, 'total_sales', total_sales, total, bills
    from states
    where total_sales is null or total is null or total_sales <> total

    union all

    select
        'sales_by_customer_state', customer_state, 'values_per_bills',
        values_per_bills, total, bills
    from states
    where total is not null and {{ not_cents_of_mean('values_per_bills', 'total', 'bills') }}

    union all

    select
        'payment_type_mix', monthly || ' ' || payment_type, 'payment_value',
        payment_value, total, null
    from payments
    where payment_value is null or total is null or payment_value <> total

)

select * from checked
