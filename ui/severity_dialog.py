"""The severity override dialog: pick P1..P4 and say why (the reason goes into the timeline)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.incident import Incident
from app.domain.severity import Severity
from ui import theme

# severity_prompt(incident) -> (the new severity, the reason), or None when cancelled
SeverityPrompt = Callable[[Incident], tuple[Severity, str] | None]


class SeverityDialog(QDialog):
    """Asks for the new severity of one incident and the reason for the override.

    OK stays disabled until a severity other than the current one is chosen and a
    reason is written: the console refuses an override without a reason.

    Attributes:
        incident: the incident whose severity changes.
        choices: severity -> its radio button (the current one is disabled).
        reason_edit: the reason's line edit.
        ok_button: the dialog's OK button.

    Signals:
        (none beyond QDialog's)
    """

    def __init__(self, incident: Incident, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.incident = incident
        self.setWindowTitle(f"Change severity of {incident.key}")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"{incident.key} is {incident.severity.value}. New severity"
            " (both SLA clocks are re-targeted from detection):"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self._group = QButtonGroup(self)
        self.choices: dict[Severity, QRadioButton] = {}
        for severity in Severity:
            glyph = theme.SEVERITY_GLYPHS[severity]
            current = severity is incident.severity
            text = f"{glyph} {severity.value}" + (" (now)" if current else "")
            button = QRadioButton(text)
            button.setEnabled(not current)
            self._group.addButton(button)
            self.choices[severity] = button
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(QLabel("Reason (required, it goes into the timeline):"))
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("e.g. customer confirms only the reporting site is hit")
        layout.addWidget(self.reason_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert isinstance(ok, QPushButton)
        self.ok_button = ok
        ok.setText("Change severity")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._group.buttonToggled.connect(self._update_ok)
        self.reason_edit.textChanged.connect(self._update_ok)
        self._update_ok()
        self.setMinimumWidth(420)

    def chosen(self) -> Severity | None:
        for severity, button in self.choices.items():
            if button.isChecked():
                return severity
        return None

    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def answer(self) -> tuple[Severity, str] | None:
        """What the operator asked for, when it is complete; else None."""
        severity = self.chosen()
        reason = self.reason()
        if severity is None or severity is self.incident.severity or not reason:
            return None
        return severity, reason

    def _update_ok(self, *_args: object) -> None:
        self.ok_button.setEnabled(self.answer() is not None)


def dialog_severity_prompt(parent: QWidget | None) -> SeverityPrompt:
    """The default severity prompt: a modal SeverityDialog."""

    def prompt(incident: Incident) -> tuple[Severity, str] | None:
        dialog = SeverityDialog(incident, parent)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.answer()
        finally:
            dialog.deleteLater()

    return prompt
