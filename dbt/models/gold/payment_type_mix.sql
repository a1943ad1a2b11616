{#-
  Payment mix per purchase month and payment type, over all payments (whatever the order
  status): count, orders, value, and the type's share of the month's paid value.
  Payment grain only (fact_payments): no item fan-out.
-#}
with payments as (

    select
        {{ month_label('order_purchase_timestamp') }} as monthly,
        order_id,
        payment_type,
        payment_installments,
        payment_value
    from {{ ref('fact_payments') }}
    where order_purchase_timestamp is not null

),

by_type as (

    select
        monthly,
        payment_type,
        count(*) as payments_count,
        count(distinct order_id) as orders_count,
        sum(payment_value) as payment_value,
        {{ mean('payment_installments') }} as avg_installments
    from payments
    group by monthly, payment_type

)

select
    monthly,
    payment_type,
    payments_count,
    orders_count,
    {{ money('payment_value') }} as payment_value,
    avg_installments,
    {{ ratio('payment_value', 'sum(payment_value) over (partition by monthly)') }} as value_share
from by_type
