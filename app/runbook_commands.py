"""`noc-console runbooks check [DIR]` and `runbooks match INCIDENT`: authoring help.

`check` reads runbooks the way the console does and lists every problem as
file:line: field: message (exit 2 when there is any), so a runbook repository can run
it in its own CI. `match` says which runbook an incident gets and which it beat.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.config import Config
from app.config.errors import ConfigError
from app.domain.runbook import StepKind
from app.runbooks.library import Library, load_library
from app.runbooks.matching import RunbookMatch

EXIT_USAGE = 2


def add_parser(
    command: Callable[[str, str], argparse.ArgumentParser],
    common: Callable[..., None],
) -> None:
    """`runbooks check [DIR]` and `runbooks match INCIDENT` on the CLI's parser."""
    runbooks = command("runbooks", "check runbook files, or say which runbook an incident gets")
    actions = runbooks.add_subparsers(dest="runbooks_action", metavar="ACTION", required=True)
    check_parser = actions.add_parser(
        "check", help="validate runbook files (file:line errors; exit 2 if any)"
    )
    check_parser.add_argument(
        "folder", type=Path, nargs="?", metavar="DIR", help="default: the library in force"
    )
    match_parser = actions.add_parser("match", help="which runbook an incident gets, and why")
    match_parser.add_argument("incident", metavar="INCIDENT", help="INC-000017 or 17")
    for sub in (check_parser, match_parser):
        sub.add_argument("--json", action="store_true")
        common(sub, top=False)


def check(config: Config, folder: Path | None, *, as_json: bool) -> int:
    """Validate one folder (or file), or the whole library in force (built-in + config)."""
    library = (
        load_library([folder], builtin=False)
        if folder is not None
        else load_library(config.runbook_dirs)
    )
    errors = list(library.errors)
    if folder is None:
        errors += policy_problems(config, library)
    if as_json:
        print(
            json.dumps(
                {
                    "ok": not errors,
                    "runbooks": sorted(library.runbooks),
                    "files": len(library.files),
                    "errors": [_error_json(e) for e in errors],
                }
            )
        )
        return EXIT_USAGE if errors else 0
    for error in errors:
        print(str(error))
    where = (
        str(folder)
        if folder is not None
        else "built-in library"
        + (" and " + ", ".join(str(d) for d in config.runbook_dirs) if config.runbook_dirs else "")
    )
    verdict = f"{len(errors)} error(s)" if errors else "ok"
    print(f"{verdict}: {len(library.runbooks)} runbooks in {len(library.files)} files ({where})")
    return EXIT_USAGE if errors else 0


def policy_problems(config: Config, library: Library) -> list[ConfigError]:
    """Auto-remediation policies must name a runbook's action step that exists."""
    from app.config.policies import load_policies

    problems = []
    path = config.policies_path
    for policy in load_policies(path).auto_remediation:
        runbook = library.get(policy.runbook)
        field = f"auto_remediation.{policy.id}"
        if runbook is None:
            problems.append(ConfigError(f"no runbook {policy.runbook!r}", path=path, field=field))
            continue
        step = next((s for s in runbook.steps if s.id == policy.step), None)
        if step is None or step.kind is not StepKind.ACTION:
            problems.append(
                ConfigError(
                    f"runbook {policy.runbook} has no action step {policy.step!r}",
                    path=path,
                    field=field,
                )
            )
    return problems


def _error_json(error: ConfigError) -> dict[str, Any]:
    return {
        "file": str(error.path) if error.path else None,
        "line": error.line,
        "field": error.field,
        "message": error.message,
    }


def match_json(key: str, found: RunbookMatch | None) -> dict[str, Any]:
    if found is None:
        return {"incident": key, "runbook": None, "fallback": False, "candidates": []}
    return {
        "incident": key,
        "runbook": found.runbook.id,
        "title": found.runbook.title,
        "fallback": found.fallback,
        "reason": found.reason(),
        "candidates": [
            {
                "runbook": c.runbook.id,
                "rule": str(c.rule),
                "file": c.runbook.path,
                "line": c.rule.line,
                "alert": c.alert.alertname if c.alert else None,
                "service": c.alert.service if c.alert else None,
                "specificity": list(c.rule.specificity),
            }
            for c in found.candidates
        ],
    }


def match_lines(key: str, found: RunbookMatch | None) -> list[str]:
    if found is None:
        return [f"{key}: no runbook matches and the library has no fallback"]
    return [f"{key}: {found.runbook.id} \u2014 {found.runbook.title}", *found.explain()]
