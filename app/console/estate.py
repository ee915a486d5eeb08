"""What a config watches and by which rules: its catalog and its policies, loaded once.

One place decides where the catalog comes from (the configured file, else the demo
estate when a demo source runs, else none), so `policies check` meets exactly the
errors the console would meet at start.
"""

from __future__ import annotations

from app.config import Config, load_catalog, load_policies
from app.domain.catalog import Catalog
from app.domain.policy import Policies
from app.sources.demo import load_demo_estate


def load_estate(config: Config) -> tuple[Catalog, Policies]:
    """The catalog, then the policies (the order of the errors a user meets)."""
    if config.catalog_path is not None:
        catalog = load_catalog(config.catalog_path)
    elif any(source.kind == "demo" for source in config.sources):
        catalog = load_demo_estate()
    else:
        catalog = Catalog()
    return catalog, load_policies(config.policies_path)
