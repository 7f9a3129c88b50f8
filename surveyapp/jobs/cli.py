"""``flask jobs worker``: run background jobs (``make run`` starts one beside the web server);
``flask jobs recover``: queue again the jobs whose worker was killed."""
from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from surveyapp.db import db
from surveyapp.jobs import queue as jobs_queue


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs."""


@jobs_group.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="Jobs run at once by this process.")
@click.option("--processes", is_flag=True, help="Run jobs in worker processes instead of threads (PDFs on several cores).")
@with_appcontext
def worker(workers: int, processes: bool) -> None:
    """Run jobs from the queue (JOBS_URL) until stopped with Ctrl-C or SIGTERM; start as many as you like,
    on any number of hosts sharing one Redis."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    queue = jobs_queue.queue()
    if queue.huey.immediate:
        raise click.ClickException("JOBS_URL is 'immediate': jobs run where they start, there is nothing to work on.")
    again = jobs_queue.recover()
    if again:
        click.echo(f"queued again: {len(again)} job(s) a stopped worker left unfinished")
    db.engine.dispose()  # forked worker processes open their own connections
    click.echo(f"jobs worker on {current_app.config.get('JOBS_URL') or 'the instance folder queue'}, {workers} at once")
    # An idle worker asks the queue again at most every quarter of a second (Huey's default backs off to 10 s;
    # Redis answers at once anyway; a question to the SQLite queue is a read of a small file): a job started in
    # a quiet moment starts at once, not up to a second later (a quarter of a second: 4 reads a second at most).
    consumer = queue.huey.create_consumer(workers=workers, worker_type="process" if processes else "thread",
                                          periodic=True, max_delay=0.25)
    consumer.run()


@jobs_group.command("recover")
@with_appcontext
def recover() -> None:
    """Queue again the jobs whose worker stopped (also done by every worker when it starts, and every minute)."""
    again = jobs_queue.recover()
    click.echo(f"queued again: {len(again)} job(s)")
