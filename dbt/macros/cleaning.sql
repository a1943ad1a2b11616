{#- Light cleaning applied in bronze. All portable across DuckDB, Trino, Spark, PostgreSQL. -#}

{# Trimmed text, empty string -> NULL. Works on typed (VARCHAR) and untyped landing columns. #}
{% macro clean_text(col) -%}
    nullif(trim(cast({{ col }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{# Lower-cased clean text (codes such as order_status, payment_type, category names). #}
{% macro clean_code(col) -%}
    lower({{ clean_text(col) }})
{%- endmacro %}

{# Upper-cased clean text (Brazilian state codes). #}
{% macro clean_state(col) -%}
    upper({{ clean_text(col) }})
{%- endmacro %}

{#
  City names: trimmed, lower-cased and with Portuguese accents removed, so that
  'São Paulo', 'sao paulo' and 'são paulo' are one city (Olist spells cities both ways), whether
  an accent is one precomposed character (translate(), in every engine) or a letter followed
  by a combining mark (removed first: without_combining_marks, per engine).
#}
{% macro clean_city(col) -%}
    translate(lower({{ without_combining_marks(clean_text(col)) }}), 'áàâãäéèêëíìîïóòôõöúùûüçñ', 'aaaaaeeeeiiiiooooouuuucn')
{%- endmacro %}

{# 5-digit zip prefix as text, left-padded with zeros (in case a loader typed it as a number). #}
{% macro clean_zip(col) -%}
    lpad({{ clean_text(col) }}, 5, '0')
{%- endmacro %}

{# Typed values: no-ops when the landing column already has the type; '' -> NULL otherwise. #}
{% macro to_timestamp_clean(col) -%}
    {{ try_cast(col, dbt.type_timestamp()) }}
{%- endmacro %}

{% macro to_double_clean(col) -%}
    {{ try_cast(col, type_double()) }}
{%- endmacro %}

{# Money in BRL: an exact decimal, so sums of prices and payments reconcile to the cent. #}
{% macro to_money_clean(col) -%}
    {{ try_cast(col, 'decimal(14, 2)') }}
{%- endmacro %}

{% macro to_int_clean(col) -%}
    {{ try_cast(col, dbt.type_int()) }}
{%- endmacro %}
