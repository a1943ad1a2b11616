{{ config(unique_key='customer_id') }}

with cleaned as (

    select
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('customer_unique_id') }} as customer_unique_id,
        {{ clean_zip('customer_zip_code_prefix') }} as customer_zip_code_prefix,
        {{ clean_city('customer_city') }} as customer_city,
        {{ clean_state('customer_state') }} as customer_state,
        _loaded_at
    from {{ landing_after_watermark('customers') }} as landing

)

select
    customer_id,
    customer_unique_id,
    customer_zip_code_prefix,
    customer_city,
    customer_state,
    _loaded_at
from {{ latest_per_key('cleaned', ['customer_id']) }} as latest
