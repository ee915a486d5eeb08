"""The catalog's dependency graph, walked both ways: what a service needs, and who needs it.

Built once per catalog (catalogs are immutable and few) and memoised per service, so a
storm over hundreds of services walks each service's ancestry once, not once per alert.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from app.domain.catalog import Catalog


class Topology:
    """Transitive dependencies and dependants of each service in one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._needed_by: dict[str, list[str]] = {}
        for service in catalog.services.values():
            for dependency in service.depends_on:
                self._needed_by.setdefault(dependency, []).append(service.id)
        self._ancestors: dict[str, frozenset[str]] = {}
        self._descendants: dict[str, frozenset[str]] = {}

    def ancestors(self, service_id: str) -> frozenset[str]:
        """Every service this one needs, directly or through others."""
        found = self._ancestors.get(service_id)
        if found is None:
            found = self._walk(service_id, self._depends_on)
            self._ancestors[service_id] = found
        return found

    def descendants(self, service_id: str) -> frozenset[str]:
        """Every service that needs this one, directly or through others."""
        found = self._descendants.get(service_id)
        if found is None:
            found = self._walk(service_id, lambda s: self._needed_by.get(s, ()))
            self._descendants[service_id] = found
        return found

    def reach(self, services: Iterable[str]) -> frozenset[str]:
        """Customers hurt when these services fail: theirs and every dependant's."""
        customers: set[str] = set()
        for service_id in services:
            for affected in (service_id, *self.descendants(service_id)):
                service = self.catalog.service(affected)
                if service is not None:
                    customers.add(service.customer)
        return frozenset(customers)

    def path(self, service_id: str, ancestor: str) -> tuple[str, ...]:
        """The shortest chain of dependencies from a service up to one of its ancestors."""
        trail: dict[str, str | None] = {service_id: None}
        frontier = [service_id]
        while frontier:
            following: list[str] = []
            for current in frontier:
                for dependency in sorted(self._depends_on(current)):
                    if dependency in trail:
                        continue
                    trail[dependency] = current
                    if dependency == ancestor:
                        chain = [dependency]
                        step = trail[dependency]
                        while step is not None:
                            chain.append(step)
                            step = trail[step]
                        return tuple(reversed(chain))
                    following.append(dependency)
            frontier = following
        return ()

    def _depends_on(self, service_id: str) -> Iterable[str]:
        service = self.catalog.service(service_id)
        return service.depends_on if service else ()

    @staticmethod
    def _walk(start: str, step: Callable[[str], Iterable[str]]) -> frozenset[str]:
        seen: set[str] = set()
        stack = list(step(start))
        while stack:
            current = stack.pop()
            if current in seen or current == start:
                continue
            seen.add(current)
            stack.extend(step(current))
        return frozenset(seen)


_lock = threading.Lock()
_cache: list[tuple[Catalog, Topology]] = []


def topology_of(catalog: Catalog) -> Topology:
    """The catalog's topology, built on first use (a console has one catalog for its life)."""
    with _lock:
        for known, topology in _cache:
            if known is catalog:
                return topology
        topology = Topology(catalog)
        _cache[:] = [*_cache[-3:], (catalog, topology)]
        return topology
