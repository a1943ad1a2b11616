{#-
  Dialect differences, in one place. Models call these macros (and dbt's own cross-database
  macros: dbt.date_trunc, dbt.datediff, dbt.dateadd, dbt.hash, dbt.concat, dbt.type_*), never
  engine-specific syntax. Each macro has a default__ (PostgreSQL-flavoured ANSI) and overrides
  for duckdb, trino and spark.
-#}

{# 'YYYY-MM' label of a timestamp or date. #}
{% macro month_label(ts) -%}
    {{ return(adapter.dispatch('month_label')(ts)) }}
{%- endmacro %}

{% macro default__month_label(ts) -%}
    to_char({{ ts }}, 'YYYY-MM')
{%- endmacro %}

{% macro duckdb__month_label(ts) -%}
    strftime({{ ts }}, '%Y-%m')
{%- endmacro %}

{% macro trino__month_label(ts) -%}
    date_format({{ ts }}, '%Y-%m')
{%- endmacro %}

{% macro spark__month_label(ts) -%}
    date_format({{ ts }}, 'yyyy-MM')
{%- endmacro %}


{# ISO day of week of a date: 1 = Monday ... 7 = Sunday. #}
{% macro iso_day_of_week(d) -%}
    {{ return(adapter.dispatch('iso_day_of_week')(d)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(d) -%}
    cast(extract(isodow from {{ d }}) as integer)
{%- endmacro %}

{% macro duckdb__iso_day_of_week(d) -%}
    isodow({{ d }})
{%- endmacro %}

{% macro trino__iso_day_of_week(d) -%}
    day_of_week({{ d }})
{%- endmacro %}

{% macro spark__iso_day_of_week(d) -%}
    (((dayofweek({{ d }}) + 5) % 7) + 1)
{%- endmacro %}


{# A cast that yields NULL instead of failing on bad input (Spark 4 runs with ANSI mode on). #}
{% macro try_cast(expr, type) -%}
    {{ return(adapter.dispatch('try_cast')(expr, type)) }}
{%- endmacro %}

{% macro default__try_cast(expr, type) -%}
    cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro duckdb__try_cast(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro trino__try_cast(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro spark__try_cast(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}


{# 8-byte floating point (dbt.type_float() is a 4-byte REAL on DuckDB). #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro trino__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}


{# Integer division of two non-negative integers, truncated: `/` on Trino and PostgreSQL, but
   DuckDB's `/` and Spark's `/` return a double (DuckDB's `//` and Spark's `div` do not). #}
{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__integer_divide(numerator, denominator) -%}
    ({{ numerator }}) / ({{ denominator }})
{%- endmacro %}

{% macro duckdb__integer_divide(numerator, denominator) -%}
    ({{ numerator }}) // ({{ denominator }})
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) -%}
    ({{ numerator }}) div ({{ denominator }})
{%- endmacro %}


{# Cast to double and divide, NULL when the denominator is 0 or NULL. Never for money
   (money_divide): a double cannot hold most half cents, 74.365 is 74.36499999... #}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0))
{%- endmacro %}


{# A literal timestamp older than any data: the watermark of an empty table. #}
{% macro epoch_timestamp() -%}
    cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{# Text without Unicode combining marks: 'são' written as s, a, U+0303, o becomes 'sao'. #}
{% macro without_combining_marks(text) -%}
    {{ return(adapter.dispatch('without_combining_marks')(text)) }}
{%- endmacro %}

{% macro default__without_combining_marks(text) -%}
    regexp_replace({{ text }}, '[\u0300-\u036f]', '', 'g')
{%- endmacro %}

{% macro duckdb__without_combining_marks(text) -%}
    regexp_replace({{ text }}, '\p{M}', '', 'g')
{%- endmacro %}

{% macro trino__without_combining_marks(text) -%}
    regexp_replace({{ text }}, '\p{M}')
{%- endmacro %}

{# Spark unescapes string literals: the regex \p{M} is written with its backslash doubled. #}
{% macro spark__without_combining_marks(text) -%}
    regexp_replace({{ text }}, '\\p{M}', '')
{%- endmacro %}
