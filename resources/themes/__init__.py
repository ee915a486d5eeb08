"""Built-in colour themes (dark, light, high-contrast), read by ui/theme.py."""
