"""NOC Console core: domain, engine, storage, sources and the console facade (no Qt here)."""

__version__ = "0.1.0"
