"""Reading what users write: the TOML config, the catalog and policy YAML, with precise errors."""

from app.config.catalog import load_catalog
from app.config.display import DisplayConfig, OperatorDisplay, WallDisplay
from app.config.errors import ConfigError
from app.config.policies import load_policies
from app.config.settings import Config, SourceConfig, TicketingConfig, load_config
from app.config.sounds import Sound, SoundConfig, SoundEvent

__all__ = [
    "Config",
    "ConfigError",
    "DisplayConfig",
    "OperatorDisplay",
    "Sound",
    "SoundConfig",
    "SoundEvent",
    "SourceConfig",
    "TicketingConfig",
    "WallDisplay",
    "load_catalog",
    "load_config",
    "load_policies",
]
