"""Deterministic triage over domain objects: grouping, severity, SLA targets. `now` is an argument."""
