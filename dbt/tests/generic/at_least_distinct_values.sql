{#-
  `column_name` has at least `min_values` distinct non-null values. Guards against
  aggregations that collapse a dimension (the guide's Java date pattern in Trino's
  date_format turned every month into one row).
-#}
{% test at_least_distinct_values(model, column_name, min_values) %}

select distinct_values
from (
    select count(distinct {{ column_name }}) as distinct_values
    from {{ model }}
) counted
where distinct_values < {{ min_values }}

{% endtest %}
