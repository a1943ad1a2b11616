{{ config(unique_key=['review_id', 'order_id']) }}

with landing as (

    select * from {{ source('landing', 'order_reviews') }}
    {% if is_incremental() %}
    where {{ loaded_after_watermark() }}
    {% endif %}

),

cleaned as (

    select
        {{ clean_text('review_id') }} as review_id,
        {{ clean_text('order_id') }} as order_id,
        {{ to_int_clean('review_score') }} as review_score,
        {{ clean_text('review_comment_title') }} as review_comment_title,
        {{ clean_text('review_comment_message') }} as review_comment_message,
        {{ to_timestamp_clean('review_creation_date') }} as review_creation_date,
        {{ to_timestamp_clean('review_answer_timestamp') }} as review_answer_timestamp,
        _loaded_at
    from landing

),

ranked as (

    select
        cleaned.*,
        row_number() over (
            partition by review_id, order_id
            order by _loaded_at desc, review_answer_timestamp desc
        ) as _row_number
    from cleaned
    where review_id is not null and order_id is not null

)

select
    review_id,
    order_id,
    review_score,
    review_comment_title,
    review_comment_message,
    review_creation_date,
    review_answer_timestamp,
    _loaded_at
from ranked
where _row_number = 1
