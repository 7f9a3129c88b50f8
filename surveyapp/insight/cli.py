"""``flask calibration YYYY-MM [--months N] [--json]``: the supervisors' severities from the command line;
``flask integrity YYYY-MM [--recompute] [--json]``: the month's visits with evidence flags."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.assessment import services as assessment
from surveyapp.db import db
from surveyapp.errors import DomainError
from surveyapp.insight import calibration_labels as labels
from surveyapp.insight import calibration_queries as calibration
from surveyapp.insight import integrity_queries as integrity
from surveyapp.insight.integrity import Rules
from surveyapp.labels import localtime as labels_localtime
from surveyapp.terminal import LANG_HELP, progress_bar, table, use_language
from surveyapp.visits.flags import flag_label
from surveyapp.visits.models import Visit


@click.command("calibration")
@click.argument("period")
@click.option("--months", default=None, help="Months in the window, ending with PERIOD (default: the policy's, 3).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--lang", default=None, help=LANG_HELP)
@click.pass_context
@with_appcontext
def calibration_command(ctx: click.Context, period: str, months: str | None, as_json: bool, lang: str | None) -> None:
    """Each supervisor's severity (points above the consensus of the other raters on the same halls and months;
    positive: lenient) with its 95 % interval and flags, over the months ending with PERIOD (YYYY-MM)."""
    use_language(ctx, lang)
    try:
        report = calibration.month_report(db.session, period, months)
    except DomainError as exc:
        click.echo(str(exc.message), err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(_("Rater calibration for %(periods)s (%(n)s months ending with %(period)s)",
                 periods=report.periods[0] + " – " + report.periods[-1], n=report.months, period=report.period))
    click.echo("")
    if not report.lines:
        click.echo(_("No validated visit with a score in these months."))
        return
    rows = [[_("Supervisor"), _("Display name"), _("Validated visits"), _("Connected"), _("Severity"), _("%(level)s interval", level="95 %"), _("Flags")]]
    for line in report.lines:
        r = line.rater
        rows.append([line.username, line.name, str(r.visits), str(r.connected), labels.points_text(r.severity),
                     labels.interval_text(r.low, r.high),
                     ", ".join(labels.flag_label(f) for f in r.flags) or labels.no_severity_reason(r, report.rules)])
    for text in table(rows):
        click.echo(text)
    click.echo("")
    click.echo(_("Severity: points above the consensus of the other supervisors on the same halls and months "
                 "(positive: lenient, negative: severe)."))


#: What ``flask integrity`` shows on its progress bar (``--recompute`` checks a whole month's evidence).
INTEGRITY_STAGES = {"check": _l("Checking the month's visits"), "report": _l("Reading the flags")}


@click.command("integrity")
@click.argument("period")
@click.option("--recompute", is_flag=True, help="Check the month's submitted visits again first (and store the flags).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a list.")
@click.option("--lang", default=None, help=LANG_HELP)
@click.pass_context
@with_appcontext
def integrity_command(ctx: click.Context, period: str, recompute: bool, as_json: bool, lang: str | None) -> None:
    """The submitted visits of PERIOD (YYYY-MM) with evidence flags, and why: integrity questions answered wrongly,
    photo times, reused photos, too-short visits, overlapping or unreachable visits."""
    use_language(ctx, lang)
    try:
        period = assessment.parse_period(period)
        with progress_bar(INTEGRITY_STAGES) as progress:
            if recompute:
                progress("check")
                integrity.check(db.session, Visit.period == period, Rules.from_config(current_app.config))
                db.session.commit()
            progress("report")
            report = integrity.month_report(db.session, period)
    except DomainError as exc:
        click.echo(str(exc.message), err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(_("Evidence integrity for %(period)s: %(flagged)s of %(visits)s submitted visits flagged.",
                 period=report.period, flagged=report.flagged, visits=report.visits))
    for line in report.lines:
        click.echo("")
        when = labels_localtime(line.visited_at) if line.visited_at else "—"
        click.echo(f"{line.hall_code} {line.hall_name} · {line.supervisor} · {when} · {line.uid}")
        for flag in line.flags:
            other = _(" (other visit: %(label)s, %(uid)s)", label=flag.other_label, uid=flag.other_uid) if flag.other_uid else ""
            item = f" [{flag.item_key}]" if flag.item_key else ""
            click.echo(f"  - {flag_label(flag.kind)}{item}: {flag.reason()}{other}")
