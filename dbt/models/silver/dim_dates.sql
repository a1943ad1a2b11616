{#-
  A calendar with one row per day from the first purchase date to the last date any order
  refers to (purchase, delivery or estimated delivery). Portable spine: four cross-joined
  digit sets give 0..9999 day offsets (27 years), no generate_series / sequence needed.
-#}
{{ config(materialized='table') }}

with digits as (

    select 0 as digit union all select 1 union all select 2 union all select 3
    union all select 4 union all select 5 union all select 6 union all select 7
    union all select 8 union all select 9

),

day_offsets as (

    select
        units.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit as day_offset
    from digits as units
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands

),

order_dates as (

    select
        min(cast(order_purchase_timestamp as date)) as first_purchase_date,
        max(cast(order_purchase_timestamp as date)) as last_purchase_date,
        max(cast(order_delivered_customer_date as date)) as last_delivered_date,
        max(cast(order_estimated_delivery_date as date)) as last_estimated_date
    from {{ ref('orders') }}

),

bounds as (

    select
        first_purchase_date as start_date,
        greatest(
            last_purchase_date,
            coalesce(last_delivered_date, last_purchase_date),
            coalesce(last_estimated_date, last_purchase_date)
        ) as end_date
    from order_dates

),

spine as (

    select
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'bounds.start_date') }} as date) as date_day
    from day_offsets
    cross join bounds
    where day_offsets.day_offset <= {{ dbt.datediff('bounds.start_date', 'bounds.end_date', 'day') }}

)

select
    date_day,
    cast(extract(year from date_day) as {{ dbt.type_int() }}) as year_number,
    cast(extract(quarter from date_day) as {{ dbt.type_int() }}) as quarter_number,
    cast(extract(month from date_day) as {{ dbt.type_int() }}) as month_number,
    cast(extract(day from date_day) as {{ dbt.type_int() }}) as day_of_month,
    cast({{ iso_day_of_week('date_day') }} as {{ dbt.type_int() }}) as iso_day_of_week,
    case when {{ iso_day_of_week('date_day') }} in (6, 7) then true else false end as is_weekend,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
    {{ month_label('date_day') }} as month_label
from spine
