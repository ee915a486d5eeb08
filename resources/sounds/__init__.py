"""Built-in sounds for new incidents, breaches and escalations (scripts/make_sounds.py)."""
