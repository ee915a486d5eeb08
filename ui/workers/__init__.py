"""Workers that run console calls off the GUI thread and report back with Qt signals."""
