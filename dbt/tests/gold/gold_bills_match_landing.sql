{#-
  Distinct delivered orders are consistent between gold and landing:
    - every delivered order with items has one customer state: sum of total_bills per state
      = distinct delivered orders with items in landing;
    - an order has one purchase day and month: sum of daily bills = sum of monthly
      total_bills (per category);
    - delivery_performance_monthly counts every delivered order once;
    - payment_type_mix sums to the landing payments of orders with a purchase time.
-#}
with landing_counts as (

    {{ landing_delivered_orders() }}

),

landing_payments as (

    select sum({{ to_double_clean('payment_value') }}) as landing_payment_value
    from {{ landing_latest('order_payments', ['order_id', 'payment_sequential']) }} as p
    where p.order_id in (
        select order_id
        from {{ landing_latest('orders', ['order_id']) }} as o2
        where o2.order_purchase_timestamp is not null
    )

),

state_bills as (

    select sum(total_bills) as state_total_bills from {{ ref('sales_by_customer_state') }}

),

daily_bills as (

    select sum(bills) as daily_total_bills from {{ ref('daily_sales_categories') }}

),

monthly_bills as (

    select sum(total_bills) as monthly_total_bills from {{ ref('sales_values_by_category') }}

),

delivery as (

    select sum(delivered_orders) as delivery_delivered_orders
    from {{ ref('delivery_performance_monthly') }}

),

payment_mix as (

    select sum(payment_value) as mix_payment_value from {{ ref('payment_type_mix') }}

)

select *
from landing_counts
cross join landing_payments
cross join state_bills
cross join daily_bills
cross join monthly_bills
cross join delivery
cross join payment_mix
where landing_delivered_orders_with_items <> state_total_bills
    or daily_total_bills <> monthly_total_bills
    or monthly_total_bills < state_total_bills
    or landing_delivered_orders <> delivery_delivered_orders
    or {{ amounts_differ('landing_payment_value', 'mix_payment_value') }}
