"""Logging: a rotating file in the user's log folder, and stderr for command-line runs."""

from __future__ import annotations

import logging
import logging.handlers

from app.paths import log_dir

_OURS = "noc-console"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def configure(verbosity: int, *, to_file: bool) -> None:
    """-v shows INFO, -vv DEBUG; the file (GUI and pollers) always keeps INFO and up."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _OURS]:
        root.removeHandler(old)  # only ours: a host (pytest, an embedding app) keeps its own
        old.close()
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    console = logging.StreamHandler()
    console.set_name(_OURS)
    console.setLevel(level)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    root.setLevel(min(level, logging.INFO) if to_file else level)
    if to_file:
        try:
            folder = log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                folder / "noc-console.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8"
            )
        except OSError as error:
            logging.getLogger(__name__).warning("no log file (%s); logging to stderr only", error)
            return
        handler.set_name(_OURS)
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    # urllib3 at DEBUG prints request lines; never let it reach a shared log by accident
    # urllib3 and botocore at DEBUG print request lines and headers (botocore's include the
    # AWS session token): never let them reach a log, whatever -v says (RELIABILITY 22)
    for chatty in ("urllib3", "botocore", "boto3", "s3transfer"):
        logging.getLogger(chatty).setLevel(max(level, logging.INFO))
