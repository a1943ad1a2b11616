{#-
  Reconciliation, silver vs landing: total paid in fact_payments and in fact_orders (per
  order, aggregated before any join) equals the landing payments total; payment counts match.
  A fan-out anywhere (payments x items) would inflate the silver totals and fail this test.
-#}
with landing_payments as (

    select
        sum({{ to_double_clean('payment_value') }}) as landing_value,
        count(*) as landing_payments
    from {{ landing_latest('order_payments', ['order_id', 'payment_sequential']) }} as p

),

silver_payments as (

    select
        sum(payment_value) as silver_payments_value,
        count(*) as silver_payments
    from {{ ref('fact_payments') }}

),

silver_orders as (

    select
        sum(payments_value) as silver_orders_value,
        sum(payments_count) as silver_orders_payments
    from {{ ref('fact_orders') }}

)

select *
from landing_payments
cross join silver_payments
cross join silver_orders
where {{ amounts_differ('landing_value', 'silver_payments_value') }}
    or {{ amounts_differ('landing_value', 'silver_orders_value') }}
    or landing_payments <> silver_payments
    or landing_payments <> silver_orders_payments
