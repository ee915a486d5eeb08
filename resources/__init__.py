"""Data files shipped with NOC Console: demo estate, default policies, runbooks, icons."""
