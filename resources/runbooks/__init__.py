"""The built-in runbook library (SOPs as YAML), read by app/runbooks/library.py."""
