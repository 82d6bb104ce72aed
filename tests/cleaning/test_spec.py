"""The declarative cleaning spec: the packaged rules load, and a wrong rule is named."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from ecomlab.cleaning.spec import SpecError, load_spec


def test_the_packaged_spec_loads_and_orders_tables_by_dependency():
    spec = load_spec()
    order = spec.order()
    assert set(order) == set(spec.tables)
    before = lambda a, b: order.index(a) < order.index(b)  # noqa: E731
    assert before("shop_items", "shop_order_items")  # references and outlier lookup
    assert before("shop_users", "shop_orders")
    assert before("shop_order_items", "shop_orders")  # the order-total check reads the lines
    assert before("shop_payments", "shop_refunds")  # the refund check reads the payments


def write_spec(tmp_path, change) -> str:
    data = yaml.safe_load((resources.files("ecomlab.cleaning") / "rules.yaml").read_text())
    change(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_a_table_reads_the_annotated_rows_of_exactly_the_tables_its_checks_use():
    spec = load_spec()
    assert spec.context_of("shop_orders") == {"shop_order_items"}
    assert spec.context_of("shop_refunds") == {"shop_payments"}
    assert spec.context_of("shop_order_items") == {"shop_items"}  # its prices' yardstick
    assert spec.context_of("shop_events") == set()  # references read ODS keys, not annotated rows
    order = spec.order()
    for table in spec.tables:
        assert all(order.index(dep) < order.index(table) for dep in spec.context_of(table))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda d: d["tables"]["shop_orders"]["columns"]["user_id"].update(references="shop_people.user_id"),
            "shop_people.user_id",
        ),
        (lambda d: d["tables"]["shop_orders"].update(key=["order_number"]), "order_number"),
        (lambda d: d["tables"]["shop_events"]["columns"]["visitor_id"].update(pattern="(["), "pattern"),
        (lambda d: d["thresholds"].pop("timeliness"), "timeliness"),
        (lambda d: d["tables"]["shop_items"]["columns"]["price"].update(kind="money"), "kind"),
        (lambda d: d["tables"]["shop_items"]["columns"]["price"].update(type="money"), "type"),
    ],
)
def test_a_wrong_rule_is_refused_naming_it(tmp_path, change, named):
    with pytest.raises(SpecError, match=named.replace("(", r"\(").replace("[", r"\[")):
        load_spec(write_spec(tmp_path, change))


def test_a_reference_cycle_is_refused(tmp_path):
    def cycle(d):
        d["tables"]["shop_categories"]["columns"]["name"]["references"] = "shop_items.title"

    spec = load_spec(write_spec(tmp_path, cycle))
    with pytest.raises(SpecError, match="cycle"):
        spec.order()
