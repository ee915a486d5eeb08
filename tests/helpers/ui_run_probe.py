"""Run `ui.app.run` on the demo estate in a fresh process and report how it ended.

`python -m tests.helpers.ui_run_probe DATABASE_URL [--wall]`, with
NOC_QUIT_AFTER_FIRST_PAINT=1 in the environment. A process of its own, because once a
QApplication has left `exec()` with a window open, later nested event loops in the same
process quit at once (it would break every pytest-qt wait after it).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str]) -> int:
    from app.config import Config
    from app.console import Console
    from ui.app import run

    console = Console.open(Config.demo(), database_url=argv[0])
    shutdowns: list[bool] = []
    real_shutdown = console.shutdown

    def shutdown() -> None:
        shutdowns.append(True)
        real_shutdown()

    console.shutdown = shutdown  # type: ignore[method-assign]
    hook = sys.excepthook
    code = run(console, wall="--wall" in argv)
    print(f"exit={code} shutdowns={len(shutdowns)} hook_restored={sys.excepthook is hook}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
