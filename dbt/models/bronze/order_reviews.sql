{{ config(unique_key=['review_id', 'order_id']) }}

with cleaned as (

    select
        {{ clean_text('review_id') }} as review_id,
        {{ clean_text('order_id') }} as order_id,
        {{ to_int_clean('review_score') }} as review_score,
        {{ clean_text('review_comment_title') }} as review_comment_title,
        {{ clean_text('review_comment_message') }} as review_comment_message,
        {{ to_timestamp_clean('review_creation_date') }} as review_creation_date,
        {{ to_timestamp_clean('review_answer_timestamp') }} as review_answer_timestamp,
        _loaded_at
    from {{ landing_after_watermark('order_reviews') }} as landing

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
-- within one batch, the most recently answered row of a review wins
from {{ latest_per_key(
    'cleaned', ['review_id', 'order_id'], tie_breakers=['review_answer_timestamp desc']
) }} as latest
