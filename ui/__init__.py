"""The Qt user interface: the incident wall, the side panel, the status bar and their workers."""
