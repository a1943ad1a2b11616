{{ config(unique_key='product_category_name') }}

with cleaned as (

    select
        {{ clean_code('product_category_name') }} as product_category_name,
        {{ clean_code('product_category_name_english') }} as product_category_name_english,
        _loaded_at
    from {{ landing_after_watermark('category_translation') }} as landing

)

select
    product_category_name,
    product_category_name_english,
    _loaded_at
from {{ latest_per_key('cleaned', ['product_category_name']) }} as latest
