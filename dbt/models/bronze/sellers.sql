{{ config(unique_key='seller_id') }}

with cleaned as (

    select
        {{ clean_text('seller_id') }} as seller_id,
        {{ clean_zip('seller_zip_code_prefix') }} as seller_zip_code_prefix,
        {{ clean_city('seller_city') }} as seller_city,
        {{ clean_state('seller_state') }} as seller_state,
        _loaded_at
    from {{ landing_after_watermark('sellers') }} as landing

)

select
    seller_id,
    seller_zip_code_prefix,
    seller_city,
    seller_state,
    _loaded_at
from {{ latest_per_key('cleaned', ['seller_id']) }} as latest
