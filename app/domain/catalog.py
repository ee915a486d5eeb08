"""The service catalog: customers, their services, owners and dependencies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.domain.errors import DomainError
from app.domain.severity import Impact


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer of the MSP.

    Attributes:
        id: short identifier used in labels (`customer="acme"`).
        name: display name.
        tier: contract tier; picks the SLA contract in the policies.
    """

    id: str
    name: str
    tier: str = "standard"


@dataclass(frozen=True, slots=True)
class Service:
    """A customer service the NOC watches.

    Attributes:
        id: identifier used in labels (`service="acme-db"`).
        customer: the owning customer's id.
        name: display name.
        owner: the team that owns it (escalation target).
        depends_on: ids of services it needs; a failure there shows up here as a symptom.
        impact: business impact when it fails; meets the alert's urgency in the matrix.
    """

    id: str
    customer: str
    name: str
    owner: str = ""
    depends_on: tuple[str, ...] = ()
    impact: Impact = Impact.MEDIUM


@dataclass(frozen=True, slots=True)
class Catalog:
    """Customers and services by id, checked to be consistent when built."""

    customers: Mapping[str, Customer] = field(default_factory=dict)
    services: Mapping[str, Service] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "customers", MappingProxyType(dict(self.customers)))
        object.__setattr__(self, "services", MappingProxyType(dict(self.services)))
        for service in self.services.values():
            if self.customers and service.customer not in self.customers:
                raise DomainError(
                    f"service {service.id!r} names unknown customer {service.customer!r}"
                )
            for dependency in service.depends_on:
                if dependency not in self.services:
                    raise DomainError(
                        f"service {service.id!r} depends on unknown service {dependency!r}"
                    )

    def customer(self, customer_id: str | None) -> Customer | None:
        return self.customers.get(customer_id) if customer_id else None

    def service(self, service_id: str | None) -> Service | None:
        return self.services.get(service_id) if service_id else None

    def impact_of(self, service_id: str | None) -> Impact:
        service = self.service(service_id)
        return service.impact if service else Impact.MEDIUM

    def dependants(self, service_id: str) -> tuple[str, ...]:
        """Services that depend on this one, directly."""
        return tuple(s.id for s in self.services.values() if service_id in s.depends_on)
