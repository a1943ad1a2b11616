{{ config(unique_key=['order_id', 'payment_sequential']) }}

with landing as (

    select * from {{ source('landing', 'order_payments') }}
    {% if is_incremental() %}
    where {{ loaded_after_watermark() }}
    {% endif %}

),

cleaned as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ to_int_clean('payment_sequential') }} as payment_sequential,
        {{ clean_code('payment_type') }} as payment_type,
        {{ to_int_clean('payment_installments') }} as payment_installments,
        {{ to_money_clean('payment_value') }} as payment_value,
        _loaded_at
    from landing

),

ranked as (

    select
        cleaned.*,
        row_number() over (
            partition by order_id, payment_sequential order by _loaded_at desc
        ) as _row_number
    from cleaned
    where order_id is not null and payment_sequential is not null

)

select
    order_id,
    payment_sequential,
    payment_type,
    payment_installments,
    payment_value,
    _loaded_at
from ranked
where _row_number = 1
