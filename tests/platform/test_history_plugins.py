"""A history fact the decision log cannot count (a plugin's) is unknown, never its default."""
from __future__ import annotations

from jiceng.dsl.functions import default_registry
from jiceng.platform.admission.history import facts_from


def test_a_plugin_history_fact_is_unknown_and_the_counted_ones_are_counts():
    registry = default_registry()
    registry.history_fact("plugin_visits_this_year", "num[次]", default=0, doc="测试用:插件的历史事实")
    try:
        values = facts_from([1, 2, 3, 4])
        assert values["plugin_visits_this_year"] is None  # not 0: a rule reading it waits for information
        assert values["assessments_this_year"] == 1 and values["plaques"] == 4
    finally:
        del registry.history["plugin_visits_this_year"]
