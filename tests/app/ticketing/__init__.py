"""Tests of the ticketing clients (app.ticketing)."""
