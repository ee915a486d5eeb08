"""Load the service catalog (customers, services, owners, dependencies) from YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.config.errors import ConfigError
from app.config.yaml_lines import Fields, load_yaml, read_yaml_file
from app.domain.catalog import Catalog, Customer, Service
from app.domain.errors import DomainError
from app.domain.severity import Impact


def load_catalog(path: Path) -> Catalog:
    return parse_catalog(read_yaml_file(path), path)


def parse_catalog_text(text: str, path: Path | str | None = None) -> Catalog:
    return parse_catalog(load_yaml(text, path), path)


def parse_catalog(document: Any, path: Path | str | None) -> Catalog:
    root = Fields(document or {}, path, "")
    root.check_keys({"customers", "services", "schema_version"})
    customers: dict[str, Customer] = {}
    for index, item in enumerate(_items(root, "customers")):
        fields = Fields(item, path, f"customers[{index}]", root.line_of("customers"))
        fields.check_keys({"id", "name", "tier"})
        customer_id = fields.text("id", required=True) or ""
        if customer_id in customers:
            raise fields.error("id", f"duplicate customer {customer_id!r}")
        customers[customer_id] = Customer(
            id=customer_id,
            name=fields.text("name", customer_id) or customer_id,
            tier=fields.text("tier", "standard") or "standard",
        )
    services: dict[str, Service] = {}
    lines: dict[str, Fields] = {}
    for index, item in enumerate(_items(root, "services")):
        fields = Fields(item, path, f"services[{index}]", root.line_of("services"))
        fields.check_keys({"id", "customer", "name", "owner", "depends_on", "impact"})
        service_id = fields.text("id", required=True) or ""
        if service_id in services:
            raise fields.error("id", f"duplicate service {service_id!r}")
        impact_text = (fields.text("impact", "medium") or "medium").lower()
        if impact_text not in Impact._value2member_map_:
            raise fields.error("impact", f"unknown impact {impact_text!r} (high, medium or low)")
        services[service_id] = Service(
            id=service_id,
            customer=fields.text("customer", required=True) or "",
            name=fields.text("name", service_id) or service_id,
            owner=fields.text("owner", "") or "",
            depends_on=fields.text_list("depends_on"),
            impact=Impact(impact_text),
        )
        lines[service_id] = fields
    try:
        catalog = Catalog(customers=customers, services=services)
    except DomainError as error:
        culprit = next((sid for sid in lines if repr(sid) in str(error)), None)
        if culprit is not None:
            raise lines[culprit].error(None, str(error)) from None
        raise ConfigError(str(error), path=path) from None
    _refuse_cycles(catalog, lines)
    return catalog


def _items(root: Fields, key: str) -> list[Any]:
    value = root.mapping.get(key) or []
    if not isinstance(value, list):
        raise root.error(key, "expected a list")
    return value


def _refuse_cycles(catalog: Catalog, lines: dict[str, Fields]) -> None:
    """A dependency cycle would make every root-cause search loop; say where it is."""
    state: dict[str, int] = {}

    def visit(service_id: str, trail: list[str]) -> None:
        state[service_id] = 1
        for dependency in catalog.services[service_id].depends_on:
            if state.get(dependency) == 1:
                cycle = " -> ".join([*trail[trail.index(dependency) :], dependency])
                raise lines[service_id].error("depends_on", f"dependency cycle: {cycle}")
            if dependency not in state:
                visit(dependency, [*trail, dependency])
        state[service_id] = 2

    for service_id in catalog.services:
        if service_id not in state:
            visit(service_id, [service_id])
