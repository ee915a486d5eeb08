"""Non-modal dialogs the window keeps and opens again."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog


def present(dialog: QDialog) -> None:
    """Show a kept dialog, or bring it forward when it is already open behind the window
    (raising a hidden one warns on some platforms, offscreen among them)."""
    if dialog.isVisible():
        dialog.raise_()
    else:
        dialog.show()
