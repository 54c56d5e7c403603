"""``anpei scheduler``: the scheduler's command, added to the ``anpei`` command line through the
``flask.commands`` entry point (the web app never imports the scheduler)."""

from __future__ import annotations

import sys

import click


@click.command("scheduler")
def scheduler_command():
    """Run the scheduler process (one runs jobs per installation, another stands by; the same as
    anpei-scheduler)."""
    from scheduler.__main__ import main  # builds its own app: not inside the CLI's app context

    sys.exit(main())
