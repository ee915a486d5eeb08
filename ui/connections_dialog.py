"""Settings → Connections: the configured sources and ticketing systems, and a test for each system.

Read-mostly: the console reads its TOML file when it starts, so the dialog says where that
file is and shows what it configures; it edits nothing. Each monitoring source shows its
health as the window knows it (the status bar's lamp, with the last error in words); each
`[[ticketing]]` entry shows its URL, project or assignment group, account and whether its
secret is found (never the secret), with a "Test connection" button that runs the
client's `check()` on the window's task runner and shows the answer in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.config.settings import Config, SourceConfig, TicketingConfig
from app.config.source_options import DATADOG_SITES
from app.console.connections import (
    MISSING_SECRET,
    SECRET_UNAVAILABLE,
    ConnectionCheck,
    SecretState,
    check_ticketing,
    secret_state,
)
from app.domain.health import SourceHealth, SourceStatus
from app.paths import default_config_file
from app.secrets import environment_name
from ui import theme
from ui.status_bar import SourceLamp
from ui.workers.actions import TaskRunner

Clock = Callable[[], datetime]

TESTING = "testing\u2026"
LOOKING = "looking\u2026"
EMPTY = "\u2014"  # an em dash where a field is not set

# what a person can do about a failed test, by the error's kind (the message says what failed)
KIND_HINTS = {
    "auth": "The credential was refused (wrong, expired or revoked): {renew}.",
    "forbidden": "The account lacks a permission (the project's, or the table's ACL).",
    "not_found": "The project or table is not there, or this account cannot see it.",
    "network": "The server could not be reached: check the URL, DNS, proxy or VPN.",
    "redirect": "The server redirects: set `url` to where it points (the credential is"
    " never sent along).",
    "payload": "The answer is not that API's: is `url` the system's base address?",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ words


def every(interval: timedelta) -> str:
    """'15 s', '5 min', '2 h': how often a source is polled."""
    seconds = int(interval.total_seconds())
    if seconds < 120 or seconds % 60:
        return f"{seconds} s"
    if seconds < 7200 or seconds % 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def source_address(source: SourceConfig) -> str:
    """Where a source is polled: its URL(s), CloudWatch's region, Datadog's site."""
    options = source.options
    if source.kind == "demo":
        return "built-in demo estate"
    if source.kind == "cloudwatch":
        words = f"region {options.get('region') or 'from the AWS profile'}"
        if options.get("profile"):
            words += f", profile {options['profile']}"
        if options.get("endpoint_url"):
            words += f", {options['endpoint_url']}"
        return words
    if source.kind == "datadog" and not options.get("url"):
        site = str(options.get("site", "US1")).upper()
        return f"{DATADOG_SITES.get(site, site)} ({site})"
    urls = options.get("urls") or [options.get("url")]
    return ", ".join(str(url) for url in urls if url) or EMPTY


def ticketing_kind(entry: TicketingConfig) -> str:
    if entry.kind == "jira":
        return "Jira Cloud" if entry.settings.api == 3 else "Jira Data Center"
    return "ServiceNow" if entry.kind == "servicenow" else entry.kind


def ticketing_target(entry: TicketingConfig) -> str:
    """Jira's project or ServiceNow's assignment group, and how many customers route elsewhere."""
    options = entry.settings
    target = (options.project if entry.kind == "jira" else options.assignment_group) or EMPTY
    routes = len(options.routes)
    if routes:
        target += f" (+{routes} customer route{'s' if routes != 1 else ''})"
    return target


def ticketing_routes(entry: TicketingConfig) -> str:
    """The tooltip of the target: every route, one a line."""
    routes = entry.settings.routes
    if not routes:
        return ""
    return "\n".join(f"{customer} \u2192 {target}" for customer, target in sorted(routes.items()))


def ticketing_account(entry: TicketingConfig) -> str:
    """Who the console is, and with which kind of secret (never the secret)."""
    user = entry.settings.user
    if entry.kind == "jira":
        return f"{user} \u00b7 API token" if user else "personal access token (bearer)"
    return f"{user} \u00b7 password" if user else "OAuth token (bearer)"


def secret_words(state: SecretState | None) -> str:
    if state is None:
        return LOOKING
    if state.place == "keyring":
        return "found in the OS keyring"
    if state.place is not None:
        return f"found in {state.place}"
    return "keyring unreadable" if state.error else "not found"


def missing_secret_words(name: str, variable: str) -> str:
    """Where a missing secret goes (the config file never holds it)."""
    return (
        f"No secret for {name}, so nothing was tested. Store it in the OS keyring with"
        f" `noc-console secrets set {name}` (it asks for it), or set {variable} in the"
        " environment the console starts in (kiosks, CI). Then test again."
    )


def check_words(check: ConnectionCheck, secret: SecretState | None = None) -> str:
    """'✓ ok: Jira Cloud (v3) as …' or '✗ HTTP 401 auth: <the server's words>' and a hint."""
    if check.ok:
        return f"\u2713 {check.message}"
    if secret is not None and secret.place not in (None, "keyring"):
        renew = f"set a new {secret.place} (it is read before the keyring) and restart"
    else:
        renew = f"store a new one with `noc-console secrets set {check.name}`"
    hint = KIND_HINTS.get(check.kind or "", "").format(renew=renew)
    return f"\u2717 {check.message}" + (f"\n{hint}" if hint else "")


def config_words(config: Config) -> tuple[str, str]:
    """The config file's place, and how it is edited."""
    if config.path is None:
        return (
            "No config file: the console runs on the built-in demo estate.",
            (
                f"To connect real systems, write {default_config_file()} (or start with"
                " --config FILE) and restart the console; README, Configuration, shows the"
                " fields."
            ),
        )
    return (
        f"Config file: {config.path}",
        (
            "The console reads this TOML file when it starts: edit it in a text editor and"
            " restart the console to apply. Secrets are never in it (NOC_SECRET_<NAME> or"
            " the OS keyring)."
        ),
    )


# ------------------------------------------------------------------ the dialog


@dataclass(slots=True)
class TicketingRow:
    """One `[[ticketing]]` entry's widgets and what is known of it.

    Attributes:
        entry: the configured entry.
        secret_label, test_button, result_label: its widgets.
        secret: where its secret is (None until looked up).
        check: the last test's outcome (None before any).
        testing: a test runs on the pool.
    """

    entry: TicketingConfig
    secret_label: QLabel
    test_button: QPushButton
    result_label: QLabel
    secret: SecretState | None = None
    check: ConnectionCheck | None = None
    testing: bool = False


class ConnectionsDialog(QDialog):
    """The configured sources with their health, the ticketing systems with a test each.

    Thread: lives in the GUI thread. Secret look-ups (a keyring may block on D-Bus) and
    tests (network calls with the entry's timeout) run on the runner's pool; their
    results come back here through the runner's callbacks.

    Attributes:
        config: the loaded configuration shown.
        runner: the window's TaskRunner.
        config_label, config_help: where the config file is, and how it is edited.
        source_lamps: source name -> its lamp (enabled sources).
        source_errors: source name -> the line under its lamp (the last error).
        rows: ticketing entry name -> its TicketingRow.

    Signals:
        secrets_looked_up(): every entry's secret state arrived.
        test_finished(str, object): an entry's name and its ConnectionCheck.
    """

    secrets_looked_up = Signal()
    test_finished = Signal(str, object)

    def __init__(
        self,
        config: Config,
        runner: TaskRunner,
        *,
        health: Sequence[SourceHealth] = (),
        clock: Clock = _utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.runner = runner
        self.clock = clock
        self.setWindowTitle("Connections")
        self.setModal(False)
        self.source_lamps: dict[str, SourceLamp] = {}
        self.source_errors: dict[str, QLabel] = {}
        self.rows: dict[str, TicketingRow] = {}
        self._looking = False
        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(self._config_box())
        column.addWidget(self._sources_box())
        column.addWidget(self._ticketing_box())
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self._fit(layout, body, scroll, buttons)
        self.set_source_health(health)

    # ------------------------------------------------------------------ building

    def _config_box(self) -> QGroupBox:
        box = QGroupBox("Configuration")
        layout = QVBoxLayout(box)
        place, how = config_words(self.config)
        self.config_label = _selectable(place)
        self.config_help = _wrapping(QLabel(how))
        layout.addWidget(self.config_label)
        layout.addWidget(self.config_help)
        return box

    def _sources_box(self) -> QGroupBox:
        box = QGroupBox("Monitoring sources")
        grid = _grid(box, ("Source", "Kind", "Address", "Every", "Health"))
        if not self.config.sources:
            grid.addWidget(QLabel("No [[sources]] in the config."), 1, 0, 1, 5)
        row = 1
        for source in self.config.sources:
            grid.addWidget(_selectable(source.name), row, 0)
            grid.addWidget(QLabel(source.kind), row, 1)
            grid.addWidget(_selectable(source_address(source)), row, 2)
            grid.addWidget(QLabel(every(source.interval)), row, 3)
            if source.enabled:
                lamp = SourceLamp(SourceHealth(source.name, source.kind))
                spacing = lamp.layout()
                if spacing is not None:  # flush with the column's title
                    spacing.setContentsMargins(0, 0, 0, 0)
                self.source_lamps[source.name] = lamp
                grid.addWidget(lamp, row, 4)
            else:
                grid.addWidget(_muted(QLabel("disabled (enabled = false)")), row, 4)
            error = _wrapping(_selectable(""))
            error.setVisible(False)
            self.source_errors[source.name] = error
            grid.addWidget(error, row + 1, 2, 1, 3)
            row += 2
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(4, 1)
        return box

    def _ticketing_box(self) -> QGroupBox:
        box = QGroupBox("Ticketing systems")
        titles = ("System", "Kind", "URL", "Project / group", "Account", "Secret", "")
        grid = _grid(box, titles)
        if not self.config.ticketing:
            grid.addWidget(
                QLabel("No [[ticketing]] entries in the config: T logs a key typed by hand."),
                1,
                0,
                1,
                len(titles),
            )
        row = 1
        for entry in self.config.ticketing:
            grid.addWidget(_selectable(entry.name), row, 0)
            grid.addWidget(QLabel(ticketing_kind(entry)), row, 1)
            grid.addWidget(_selectable(entry.url), row, 2)
            target = _selectable(ticketing_target(entry))
            target.setToolTip(ticketing_routes(entry))
            grid.addWidget(target, row, 3)
            grid.addWidget(_selectable(ticketing_account(entry)), row, 4)
            secret = QLabel(LOOKING)
            # as wide as its longest words from the start: the dialog is sized once, on open
            longest = secret_words(SecretState(entry.name, "", environment_name(entry.name)))
            secret.setMinimumWidth(secret.fontMetrics().horizontalAdvance(longest))
            grid.addWidget(secret, row, 5)
            button = QPushButton("Test connection")
            button.setToolTip(
                f"ask {entry.name} who the console is and whether its project or table is"
                f" there (timeout {entry.settings.timeout:g} s a call)"
            )
            button.clicked.connect(lambda _=False, name=entry.name: self.test(name))
            grid.addWidget(button, row, 6)
            result = _wrapping(_selectable(""))
            result.setVisible(False)
            grid.addWidget(result, row + 1, 1, 1, len(titles) - 1)
            self.rows[entry.name] = TicketingRow(entry, secret, button, result)
            row += 2
        grid.setColumnStretch(2, 1)
        return box

    def _fit(
        self, layout: QVBoxLayout, body: QWidget, scroll: QScrollArea, buttons: QWidget
    ) -> None:
        """Wide enough for every column without a horizontal scroll bar, tall enough for
        the result lines to come (two lines each), within the screen."""
        wanted = body.sizeHint()
        margins = layout.contentsMargins()
        bar = scroll.verticalScrollBar().sizeHint().width()
        width = wanted.width() + bar + margins.left() + margins.right()
        # a result is one line (ok) or two (an error and its hint, a missing secret)
        results = 3 * self.fontMetrics().lineSpacing() * len(self.rows)
        height = (
            wanted.height()
            + results
            + buttons.sizeHint().height()
            + layout.spacing()
            + margins.top()
            + margins.bottom()
        )
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:
            width = min(width, int(screen.width() * 0.9))
            height = min(height, int(screen.height() * 0.85))
        self.resize(max(width, 640), height)

    # ------------------------------------------------------------------ sources

    def set_source_health(self, health: Sequence[SourceHealth]) -> None:
        """The health the window shows (after each poll), lamp and last error."""
        now = self.clock()
        for item in health:
            lamp = self.source_lamps.get(item.name)
            if lamp is None:
                continue
            lamp.set_health(item, now)
            error = self.source_errors[item.name]
            words = ""
            if item.error and item.status is not SourceStatus.OK:
                kind = f" [{item.error_class}]" if item.error_class else ""
                words = f"{item.error}{kind}"
            error.setText(words)
            error.setToolTip(lamp.toolTip())
            _colour(error, theme.error_colour(self.palette()) if words else None)
            error.setVisible(bool(words))

    # ------------------------------------------------------------------ ticketing

    def refresh(self) -> None:
        """Look every entry's secret up again (it may have been stored since), off the GUI
        thread; the window calls it each time it shows the dialog."""
        if self._looking or not self.rows:
            return
        self._looking = True
        names = list(self.rows)
        self.runner.submit(
            "look up the ticketing secrets",
            lambda: [secret_state(name) for name in names],
            on_result=self._secrets_arrived,
            on_error=self._secrets_failed,
        )

    def _secrets_arrived(self, states: object) -> None:
        self._looking = False
        for state in states if isinstance(states, list) else []:
            row = self.rows.get(state.name)
            if row is None:
                continue
            row.secret = state
            if row.check is not None and row.check.kind in (MISSING_SECRET, SECRET_UNAVAILABLE):
                row.check = None  # it was about the secret, which was looked up again
            self._show(row)
        self.secrets_looked_up.emit()

    def _secrets_failed(self, error: BaseException) -> None:
        self._looking = False
        for row in self.rows.values():
            row.secret = SecretState(row.entry.name, "", error=str(error) or type(error).__name__)
            self._show(row)
        self.secrets_looked_up.emit()

    def test(self, name: str) -> bool:
        """Run the entry's `check()` on the pool (its secret looked up there first); False
        while a test of it runs already."""
        row = self.rows.get(name)
        if row is None or row.testing:
            return False
        row.testing = True
        entry = row.entry
        self._show(row)
        self.runner.submit(
            f"test connection {name}",
            lambda: (secret_state(entry.name), check_ticketing(entry)),
            on_result=lambda result: self._tested(name, result),
            on_error=lambda error: self._tested(
                name, (None, ConnectionCheck(name, False, str(error) or type(error).__name__))
            ),
        )
        return True

    def _tested(self, name: str, result: object) -> None:
        row = self.rows[name]
        row.testing = False
        state, check = result if isinstance(result, tuple) else (None, None)
        if isinstance(state, SecretState):
            row.secret = state
        if isinstance(check, ConnectionCheck):
            row.check = check
        self._show(row)
        self.test_finished.emit(name, row.check)

    def _show(self, row: TicketingRow) -> None:
        """The row's secret cell, button and result line from what is known."""
        row.secret_label.setText(secret_words(row.secret))
        missing = row.secret is not None and not row.secret.found
        _colour(row.secret_label, theme.error_colour(self.palette()) if missing else None)
        row.test_button.setEnabled(not row.testing)
        text, colour, tip = "", None, ""
        if row.testing:
            text, colour = TESTING, theme.theme_for(self.palette()).muted
        elif row.check is not None and row.check.kind != MISSING_SECRET:
            text, tip = check_words(row.check, row.secret), row.check.message
            palette = self.palette()
            colour = (
                theme.theme_for(palette).lamps[SourceStatus.OK]
                if row.check.ok
                else theme.error_colour(palette)
            )
        elif row.secret is not None and row.secret.error:
            text, colour = f"\u2717 {row.secret.error}", theme.error_colour(self.palette())
        elif missing or (row.check is not None and row.check.kind == MISSING_SECRET):
            variable = row.secret.variable if row.secret is not None else ""
            text = missing_secret_words(row.entry.name, variable)
        row.result_label.setText(text)
        row.result_label.setToolTip(tip)
        _colour(row.result_label, colour)
        row.result_label.setVisible(bool(text))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh()


# ------------------------------------------------------------------ widgets


def _grid(box: QGroupBox, titles: Sequence[str]) -> QGridLayout:
    grid = QGridLayout(box)
    grid.setHorizontalSpacing(16)
    for column, title in enumerate(titles):
        header = QLabel(f"<b>{title}</b>" if title else "")
        grid.addWidget(header, 0, column)
    return grid


def _selectable(text: str) -> QLabel:
    """A label whose text can be copied (a URL, a path, a server's words)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _wrapping(label: QLabel) -> QLabel:
    """A label that wraps to the width the columns above leave it: long words (a server's
    message) never widen the dialog past the screen."""
    label.setWordWrap(True)
    policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    policy.setHeightForWidth(True)
    label.setSizePolicy(policy)
    return label


def _muted(label: QLabel) -> QLabel:
    _colour(label, theme.theme_for(label.palette()).muted)
    return label


def _colour(label: QLabel, colour: Any) -> None:
    """The label's text colour (None: the palette's own); a palette, not a style sheet,
    which would drop the font the dialog was given."""
    palette = QPalette()
    if colour is not None:
        palette.setColor(QPalette.ColorRole.WindowText, colour)
    label.setPalette(palette)
