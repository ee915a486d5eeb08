"""Deterministic decisions over domain objects, `now` always an argument: triage (where each
alert goes and why), impact and severity, the catalog's dependency graph, metrics."""
