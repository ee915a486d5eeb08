"""Wall mode's rotation: one customer at a time (then everyone), page by page when the
list is longer than the screen, and the metrics page once a round.

A NOC wall shared by several customers' teams shows each its own incidents in turn; a
wall with more incidents than rows shows the rest a page at a time instead of never.
Rotation is a view over the model (a customer filter, a scroll position): it never
changes what is counted in the header (the metrics page is shown by the window, through
the `show_metrics` callback), and an alarm (a new P1, a breach) brings the
whole wall back at once and holds it there for a while.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView

from app.config.display import Rotation
from app.domain.incident_filter import IncidentFilter
from ui.wall_model import Column, IncidentTableModel
from ui.wall_view import IncidentTableView

# after an alarm, the whole wall stays up this many turns before rotating again
ALARM_HOLD_TURNS = 4


@dataclass(frozen=True, slots=True)
class Stop:
    """Where the rotation is: a customer (None: everyone) and a page of the list, or the
    metrics page."""

    customer: str | None
    page: int
    pages: int
    metrics: bool = False

    def describe(self) -> str:
        if self.metrics:
            return "metrics \u00b7 last 30 days"
        who = self.customer or "all customers"
        return f"{who} \u00b7 page {self.page + 1}/{self.pages}" if self.pages > 1 else who


class WallRotation(QObject):
    """Turns the wall through customers and pages on a timer, and through the metrics page
    once a round (after everyone's last page) when `modes` has it.

    Thread: GUI thread (it drives the model's filter and the view's scroll position).

    Attributes:
        modes: what it turns through (customers, pages, metrics), from `[wall] rotate`.
        timer: the turn timer (`[wall] rotate_every`).
        stop: where it is now.

    Signals:
        turned(str): the new stop, in words ("acme · page 2/3"), for the status bar.
    """

    turned = Signal(str)

    def __init__(
        self,
        model: IncidentTableModel,
        table: IncidentTableView,
        modes: Sequence[Rotation],
        interval_ms: int,
        parent: QObject | None = None,
        *,
        customers: Callable[[], list[str]] | None = None,
        show_metrics: Callable[[bool], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.modes = tuple(modes)
        self._model = model
        self._table = table
        self._customers = customers or (lambda: model.values(Column.CUSTOMER))
        self._show_metrics = show_metrics
        self._hold = 0
        self.stop = Stop(None, 0, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(max(1000, interval_ms))
        self.timer.timeout.connect(self.turn)

    @property
    def active(self) -> bool:
        return bool(self.modes)

    def start(self) -> None:
        if self.active:
            self.timer.start()
            self._show(Stop(None, 0, self._page_count()))

    def stop_rotating(self) -> None:
        self.timer.stop()

    def turn(self) -> Stop:
        """The next page of this customer, else the next customer's first page; the metrics
        page (when `modes` has it) between everyone's last page and the next round."""
        if self._hold > 0:
            self._hold -= 1
            return self.stop
        current = self.stop
        if current.metrics:  # round again, from everyone's first page
            self._apply_customer(None)
            return self._show(Stop(None, 0, self._page_count()))
        pages = self._page_count() if Rotation.PAGES in self.modes else 1
        if current.page + 1 < pages:
            return self._show(Stop(current.customer, current.page + 1, pages))
        customer = current.customer
        if Rotation.CUSTOMERS in self.modes:
            order: list[str | None] = [None, *self._customers()]
            position = order.index(customer) if customer in order else 0
            customer = order[(position + 1) % len(order)]
        if customer is None and Rotation.METRICS in self.modes:  # the round is over
            self._apply_customer(None)
            return self._show(Stop(None, 0, 1, metrics=True))
        self._apply_customer(customer)
        pages = self._page_count() if Rotation.PAGES in self.modes else 1
        return self._show(Stop(customer, 0, pages))

    def alarm(self) -> None:
        """A new P1 or a breach: everyone's incidents, from the top, for a while."""
        if not self.active:
            return
        self._hold = ALARM_HOLD_TURNS
        self._apply_customer(None)
        self._show(Stop(None, 0, self._page_count()))

    # ------------------------------------------------------------------ internals

    def _apply_customer(self, customer: str | None) -> None:
        wanted = IncidentFilter(customers=frozenset({customer})) if customer else IncidentFilter()
        self._model.set_filter(wanted)

    def _rows_per_page(self) -> int:
        height = self._table.viewport().height()
        row = max(1, self._table.verticalHeader().defaultSectionSize())
        return max(1, height // row)

    def _page_count(self) -> int:
        rows = self._model.rowCount()
        per_page = self._rows_per_page()
        return max(1, -(-rows // per_page))

    def _show(self, stop: Stop) -> Stop:
        self.stop = stop
        if self._show_metrics is not None:
            self._show_metrics(stop.metrics)
        if stop.metrics:
            self.turned.emit(stop.describe())
            return stop
        first = min(stop.page * self._rows_per_page(), self._model.rowCount() - 1)
        if first >= 0:
            self._table.scrollTo(
                self._model.index(first, 0), QAbstractItemView.ScrollHint.PositionAtTop
            )
        self.turned.emit(stop.describe())
        return stop
