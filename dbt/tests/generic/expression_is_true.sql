{#-
  Every row satisfies the SQL boolean `expression` (rows where it is NULL pass only when
  `allow_null` is true, the default being false). Optional `where` narrows the rows checked.
-#}
{% test expression_is_true(model, expression, column_name=none, allow_null=false) %}

select *
from {{ model }}
where not ({{ expression }})
{%- if not allow_null %}
    or ({{ expression }}) is null
{%- endif %}

{% endtest %}
