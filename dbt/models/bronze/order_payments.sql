{{ config(unique_key=['order_id', 'payment_sequential']) }}

with cleaned as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ to_int_clean('payment_sequential') }} as payment_sequential,
        {{ clean_code('payment_type') }} as payment_type,
        {{ to_int_clean('payment_installments') }} as payment_installments,
        {{ to_money_clean('payment_value') }} as payment_value,
        _loaded_at
    from {{ landing_after_watermark('order_payments') }} as landing

)

select
    order_id,
    payment_sequential,
    payment_type,
    payment_installments,
    payment_value,
    _loaded_at
from {{ latest_per_key('cleaned', ['order_id', 'payment_sequential']) }} as latest
