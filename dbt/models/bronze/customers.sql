{{ config(unique_key='customer_id') }}

with landing as (

    select * from {{ source('landing', 'customers') }}
    {% if is_incremental() %}
    where {{ loaded_after_watermark() }}
    {% endif %}

),

cleaned as (

    select
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('customer_unique_id') }} as customer_unique_id,
        {{ clean_zip('customer_zip_code_prefix') }} as customer_zip_code_prefix,
        {{ clean_city('customer_city') }} as customer_city,
        {{ clean_state('customer_state') }} as customer_state,
        _loaded_at
    from landing

),

ranked as (

    select
        cleaned.*,
        row_number() over (partition by customer_id order by _loaded_at desc) as _row_number
    from cleaned
    where customer_id is not null

)

select
    customer_id,
    customer_unique_id,
    customer_zip_code_prefix,
    customer_city,
    customer_state,
    _loaded_at
from ranked
where _row_number = 1
