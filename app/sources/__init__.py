"""Monitoring sources: one module per system, each turning its payload into domain Alerts."""
