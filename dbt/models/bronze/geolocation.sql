{#-
  The geolocation file has exact duplicate rows and no key. Rows are cleaned, then collapsed
  to distinct (zip, lat, lng, city, state); the key is a hash of those columns. The hash is
  stable within one engine (bronze always runs on the same engine); its text form of the
  coordinates differs between engines, so keys are not comparable across stacks.
-#}
{{ config(unique_key='geolocation_key') }}

with cleaned as (

    select
        {{ clean_zip('geolocation_zip_code_prefix') }} as geolocation_zip_code_prefix,
        {{ to_double_clean('geolocation_lat') }} as geolocation_lat,
        {{ to_double_clean('geolocation_lng') }} as geolocation_lng,
        {{ clean_city('geolocation_city') }} as geolocation_city,
        {{ clean_state('geolocation_state') }} as geolocation_state,
        _loaded_at
    from {{ landing_after_watermark('geolocation') }} as landing

),

deduplicated as (

    select
        geolocation_zip_code_prefix,
        geolocation_lat,
        geolocation_lng,
        geolocation_city,
        geolocation_state,
        max(_loaded_at) as _loaded_at
    from cleaned
    where geolocation_zip_code_prefix is not null
    group by 1, 2, 3, 4, 5

)

select
    {{ dbt.hash(dbt.concat([
        "coalesce(geolocation_zip_code_prefix, '')", "'|'",
        "coalesce(cast(geolocation_lat as " ~ dbt.type_string() ~ "), '')", "'|'",
        "coalesce(cast(geolocation_lng as " ~ dbt.type_string() ~ "), '')", "'|'",
        "coalesce(geolocation_city, '')", "'|'",
        "coalesce(geolocation_state, '')"
    ])) }} as geolocation_key,
    geolocation_zip_code_prefix,
    geolocation_lat,
    geolocation_lng,
    geolocation_city,
    geolocation_state,
    _loaded_at
from deduplicated
