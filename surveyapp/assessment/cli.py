"""``flask policy load|export|history`` and ``flask assess``: the assessment from the command line."""
from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.assessment import labels, services
from surveyapp.assessment import policy as policy_rules
from surveyapp.assessment.results import MonthResults
from surveyapp.db import db
from surveyapp.errors import DomainError, ValidationError
from surveyapp.terminal import LANG_HELP, progress_bar, table, use_language


def _fail(messages: Sequence[str], summary: str) -> None:
    for message in messages:
        click.echo(message, err=True)
    click.echo(summary, err=True)
    sys.exit(1)


@click.group("policy")
@click.option("--lang", default=None, help=LANG_HELP)
@click.pass_context
def policy_group(ctx: click.Context, lang: str | None) -> None:
    """The assessment policy (weights, bands, rewards, penalties, deadlines): load, export, history."""
    use_language(ctx, lang)


@policy_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def load(file: str) -> None:
    """Load a policy file (TOML) as a new version; a file equal to the current policy changes nothing."""
    try:
        text = Path(file).read_bytes().decode("utf-8")
    except OSError as exc:
        _fail([], _("%(file)s: cannot read the file: %(error)s", file=file, error=exc.strerror or exc))
    except UnicodeDecodeError:
        _fail([], _("%(file)s: the file is not UTF-8 text", file=file))
    try:
        version, changed = services.load_policy_file(db.session, None, file, text)
    except ValidationError as exc:
        db.session.rollback()
        _fail(exc.errors, str(exc.message))
    except DomainError as exc:
        db.session.rollback()
        _fail([], str(exc.message))
    db.session.commit()
    if changed:
        click.echo(_("%(file)s: loaded as version %(n)s of the assessment policy.", file=file, n=version.number))
    else:
        click.echo(_("%(file)s: unchanged (the same as version %(n)s).", file=file, n=version.number))


@policy_group.command("export")
@click.option("--version", "number", type=int, default=None, help="A version number (default: the current one).")
@with_appcontext
def export(number: int | None) -> None:
    """Print the policy as TOML (loads back to the same policy)."""
    try:
        version = services.current_policy(db.session) if number is None else services.policy_version(db.session, number)
    except DomainError as exc:
        _fail([], str(exc.message))
    click.echo(services.policy_file(version), nl=False)


@policy_group.command("history")
@with_appcontext
def history() -> None:
    """List the policy's versions, newest first, with what each one changed."""
    versions = services.policy_versions(db.session)
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        who = labels.author_text(newer)
        when = labels.when_text(newer.created_at)
        click.echo(_("Version %(n)s  %(when)s  %(who)s", n=newer.number, when=when, who=who)
                   + (f"  ({newer.source_name})" if newer.source_name else "")
                   + (f"  {newer.note}" if newer.note else ""))
        if older is None:
            if newer.source == services.DEFAULT:
                click.echo("  " + _("the built-in default"))
            continue
        for change in policy_rules.diff(older.policy, newer.policy):
            click.echo(f"  {labels.setting_label(change.key)}: {change.old or '–'} → {change.new or '–'}")


#: What ``flask assess`` shows on its progress bar (a big company's month takes seconds).
ASSESS_STAGES = {"policy": _l("Reading the policy"), "assess": _l("Assessing the halls")}


@click.command("assess")
@click.argument("period")
@click.option("--unit", default=None, help="A unit code: only its halls and those of the units below it.")
@click.option("--policy-version", "number", type=int, default=None,
              help="Apply this version of the policy (default: the one in force), e.g. the one a notice used.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the shape README gives) instead of a table.")
@click.option("--lang", default=None, help=LANG_HELP)
@click.pass_context
@with_appcontext
def assess_command(ctx: click.Context, period: str, unit: str | None, number: int | None, as_json: bool,
                   lang: str | None) -> None:
    """The results of month PERIOD (YYYY-MM): scores, ranks, bands, rewards and penalties of every hall."""
    use_language(ctx, lang)
    try:
        with progress_bar(ASSESS_STAGES) as progress:
            progress("policy")
            policy = None if number is None else services.policy_version(db.session, number)
            progress("assess")
            results = services.assess(db.session, period, unit=unit, policy=policy)
    except DomainError as exc:
        _fail([], str(exc.message))
    if as_json:
        click.echo(json.dumps(results.to_assess_json(), ensure_ascii=False, indent=2))
    else:
        _print_table(results)


def _print_table(results: MonthResults) -> None:
    channels = list(results.summary.visits)
    header = [_("Rank"), _("Code"), _("Hall"), _("Unit"), *(labels.channel_label(c) for c in channels),
              _("Score"), _("Month-on-month"), _("Band"), _("Red lines"), _("Reward"), _("Penalty"), _("Flags")]
    rows = [header]
    for hall in results.ranked:
        rows.append([
            str(hall.rank), hall.code, hall.name, hall.unit_name,
            *(f"{labels.score_text(hall.channel_scores[c])} ({hall.visits[c]})" for c in channels),
            labels.score_text(hall.score), labels.change_text(hall.change), hall.band or "",
            str(hall.redline_visits or ""), labels.money_text(hall.reward), labels.money_text(hall.penalty),
            ", ".join(labels.flag_label(f) for f in hall.flags),
        ])
    scope = results.unit_name or _("the whole company")
    click.echo(_("Assessment of %(period)s for %(scope)s (policy version %(n)s)", period=results.period, scope=scope,
                 n=results.policy_number or "–"))
    click.echo("")
    for line in table(rows):
        click.echo(line)
    if results.not_assessed:
        click.echo("")
        click.echo(_("Not assessed (no validated visit): %(halls)s",
                     halls=", ".join(f"{h.code} {h.name}" for h in results.not_assessed)))
    s = results.summary
    click.echo("")
    click.echo(_("%(assessed)s of %(halls)s halls assessed, %(visits)s validated visits, mean score %(mean)s "
                 "(change %(change)s), rewards %(rewards)s, penalties %(penalties)s.",
                 assessed=s.assessed, halls=s.halls, visits=s.total_visits, mean=labels.score_text(s.mean_score),
                 change=labels.change_text(s.change), rewards=labels.money_text(s.rewards),
                 penalties=labels.money_text(s.penalties)))

