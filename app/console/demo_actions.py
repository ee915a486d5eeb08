"""Runbook actions on the built-in demo estate: simulated, so the demo can be worked end to end.

With no config, the console watches a simulated estate; its runbooks' actions cannot
reach a real Auto Scaling group or Rundeck. Here the planned call is still built, checked
and audited exactly as for real, and then, instead of leaving the machine, it tells the
demo estate that the service was remediated: the simulated alerts clear, and the
runbook's validate step sees them clear. The confirmation says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.domain.runbook_progress import RunStatus
from app.runbooks.calls import CallResult, PlannedCall


class DemoExecutor:
    """Executes planned calls against the demo source (app/sources/demo.py `remediate`)."""

    def __init__(self, remediate: Callable[[str, datetime], str], clock: Callable[[], datetime]):
        self._remediate = remediate
        self._clock = clock

    def __call__(self, call: PlannedCall) -> CallResult:
        service = call.parameters.get("service")
        if not service:
            return CallResult(
                RunStatus.FAILED, "the demo estate cannot tell which service this acts on"
            )
        try:
            what = self._remediate(service, self._clock())
        except ValueError as error:
            return CallResult(RunStatus.FAILED, f"demo estate: {error}")
        return CallResult(
            RunStatus.SUCCEEDED, f"simulated on the demo estate: {what}", call.describe()
        )
