"""Publishing as a background job, and the halls' letters stored with their revision.

The publish job wraps :func:`surveyapp.notices.services.publish` in one database transaction: the revision,
its PDF, the released visits with their findings and messages, the outbox mail and the job's "done" commit
together or not at all. A worker killed half-way leaves nothing published, and the job, queued again, does
it all; a job whose revision was committed before its worker died finds it and only finishes. After the
commit, letter jobs render every hall's letter from the frozen snapshot in parallel workers; a hall opening
its letter before then gets it rendered at once, and those bytes are the ones kept (:func:`letter`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from surveyapp import clock, jobs
from surveyapp.auth.models import Role, User
from surveyapp.db import insert_for
from surveyapp.errors import Conflict
from surveyapp.jobs.models import FAILED, Job
from surveyapp.notices import closing, queries, rendering, services, settings
from surveyapp.notices.models import Notice, NoticeLetter, NoticeRevision

log = logging.getLogger("surveyapp.notices")

#: Letters rendered by one letter job (several jobs run at once on several workers).
LETTER_BATCH = 100
#: Letters stored by one commit (a worker killed meanwhile loses at most these; its job renders them again).
LETTERS_PER_COMMIT = 10
#: A letter job tells its progress at most this often (seconds).
PROGRESS_SECONDS = 1.0

#: In the order the page shows them: the notice renders in a process of its own from the snapshot on, while the
#: visits are released; ``pdf`` is the wait for it (:func:`surveyapp.notices.services.publish`).
STAGES = {
    "assess": _l("Assessing the month"),
    "snapshot": _l("Freezing the results"),
    "release": _l("Releasing visits to halls, with their findings"),
    "pdf": _l("Rendering the notice"),
    "notify": _l("Notifying the halls"),
}


def start(session: Session, actor: User, notice: Notice, reason: str | None, *, draft_version: int | None = None,
          preview_sha256: str | None = None, previewed_at: dt.datetime | None = None,
          confirmed_open: str | None = None) -> Job:
    """Check the publication and start its job (flushed; commit, then :func:`surveyapp.jobs.enqueue`). The
    same revision asked for twice (a double click, a replayed form) is one job.

    The request has run the guard (:func:`surveyapp.notices.closing.check_publish`); what it checked travels
    with the job (the preview's draft version and hash, when it was previewed, the open-work confirmation),
    and the job's :func:`surveyapp.notices.services.publish` checks it all again. A failed job for the same
    revision (e.g. the results changed while it waited) is started again with the new preview.

    :raise ValidationError: see :func:`surveyapp.notices.services.check_publishable`.
    """
    reason = services.check_publishable(actor, notice, reason)
    number = notice.latest.number + 1 if notice.latest else 1
    params = {"notice_id": notice.id, "number": number, "reason": reason, "draft_version": draft_version,
              "preview_sha256": preview_sha256, "previewed_at": previewed_at.isoformat() if previewed_at else None,
              "confirmed_open": confirmed_open}
    job = jobs.start(session, actor, "publish", params, idempotency_key=idempotency_key(notice, number))
    if job.status == FAILED:  # publishing again after a failure: with this preview
        job.params, job.created_by = params, actor
        jobs.retry(session, job)
    return job


def idempotency_key(notice: Notice, number: int) -> str:
    return f"publish:{notice.id}:{number}"


def existing(session: Session, notice: Notice) -> Job | None:
    """The job that publishes the notice's next revision, if one was started (e.g. by a concurrent request)."""
    number = notice.latest.number + 1 if notice.latest else 1
    return session.scalar(sa.select(Job).where(Job.idempotency_key == idempotency_key(notice, number)))


def _letters_progress(session: Session, job: Job) -> list[tuple[Any, int, int]]:
    revision = _revision_of(session, job)
    if revision is None:
        return []
    total = len(revision.snapshot["results"]["halls"])
    stored = session.scalar(sa.select(sa.func.count()).select_from(NoticeLetter)
                            .where(NoticeLetter.revision_id == revision.id)) or 0
    return [(_l("Hall letters stored"), stored, total)]


def _revision_of(session: Session, job: Job) -> NoticeRevision | None:
    return session.scalar(sa.select(NoticeRevision).where(NoticeRevision.notice_id == job.params["notice_id"],
                                                          NoticeRevision.number == job.params["number"]))


def _published(job: Job) -> str:
    return _("Revision %(n)s is published; halls can now read it.", n=job.params["number"])


@jobs.define("publish", _l("Publishing the notice"), STAGES, roles=(Role.MARKET,), describe=_letters_progress,
             done_message=_published)
def run_publish(session: Session, job: Job, progress: jobs.Progress) -> None:
    params = job.params
    revision = _revision_of(session, job)
    if revision is None:
        notice = session.get(Notice, params["notice_id"])
        previewed_at = dt.datetime.fromisoformat(params["previewed_at"]) if params.get("previewed_at") else None
        try:
            revision = services.publish(
                session, job.created_by, notice, params["reason"], draft_version=params.get("draft_version"),
                preview_sha256=params.get("preview_sha256"), previewed_at=previewed_at,
                confirmed_open=params.get("confirmed_open"), progress=progress,
                letterhead=settings.letterhead())
        except (closing.PreviewStale, closing.OpenWorkUnconfirmed) as exc:  # changed while the job waited
            session.rollback()
            raise Conflict(" ".join([_("The notice was not published: the month changed after you checked "
                                       "it."), *map(str, exc.errors),
                                     _("Open the month's page, check it again and publish.")])) from None
        if revision.number != params["number"]:
            if closing.replayed(notice, params.get("draft_version"), params.get("preview_sha256")) is revision:
                pass  # this very preview was published already (a replayed form): that revision is the result
            else:  # someone published in between: this job's revision is gone
                session.rollback()
                raise Conflict(services.frozen_message(params["number"] - 1, notice.period))
    letter_jobs = _start_letters(session, revision)
    jobs.finish(job, jobs.result_path("notices.revision", revision_id=revision.id))
    session.commit()
    for letter_job in letter_jobs:
        jobs.enqueue(letter_job)


def _start_letters(session: Session, revision: NoticeRevision) -> list[Job]:
    hall_ids = [line["hall_id"] for line in revision.snapshot["results"]["halls"]]
    return [jobs.start(session, None, "letters", {"revision_id": revision.id, "hall_ids": hall_ids[i:i + LETTER_BATCH]},
                       idempotency_key=f"letters:{revision.id}:{i}")
            for i in range(0, len(hall_ids), LETTER_BATCH)]


@jobs.define("letters", _l("Storing hall letters"), {"letters": _l("Rendering letters")}, roles=(Role.MARKET,))
def run_letters(session: Session, job: Job, progress: jobs.Progress) -> None:
    # neither the notice's PDF nor the snapshot, which store_letters reads once per process (_letters_of)
    revision = session.get(NoticeRevision, job.params["revision_id"],
                           options=[defer(NoticeRevision.snapshot), defer(NoticeRevision.pdf)])
    store_letters(session, revision, job.params["hall_ids"], progress)


def store_letters(session: Session, revision: NoticeRevision, hall_ids: list[int],
                  progress: jobs.Progress | None = None) -> None:
    """Render and store the letters of ``hall_ids`` not stored yet, committed :data:`LETTERS_PER_COMMIT` at a
    time; the snapshot is read once for them all (:class:`~surveyapp.notices.rendering.Letters`, kept by the
    process for the revision's next batch: :func:`_letters_of`), so each costs one render."""
    revision_id = revision.id  # the commits expire revision
    batch = _letters_of(session, revision_id)
    snapshot = batch.doc.data
    period = snapshot["period"]
    lines = {line["hall_id"]: line for line in snapshot["results"]["halls"]}
    todo = [hall_id for hall_id in hall_ids if hall_id in lines]
    stored = set(session.scalars(sa.select(NoticeLetter.hall_id).where(NoticeLetter.revision_id == revision_id,
                                                                       NoticeLetter.hall_id.in_(todo))))
    todo = [hall_id for hall_id in todo if hall_id not in stored]
    # what the halls have already rectified and had verified when their letters are rendered is not listed again
    settled = queries.settled_findings_of(session, [lines[hall_id]["code"] for hall_id in todo], period)
    told = 0.0
    rendered: list[dict[str, Any]] = []
    for n, hall_id in enumerate(todo):
        if progress is not None and time.monotonic() - told >= PROGRESS_SECONDS:
            # a write to the queue's storage each time: not for every letter (a letter takes a few hundredths)
            progress("letters", n, len(todo))
            told = time.monotonic()
        code = lines[hall_id]["code"]
        pdf = batch.pdf(code, settled.get(code, set()))
        rendered.append({"revision_id": revision_id, "hall_id": hall_id, "pdf": pdf,
                         "sha256": hashlib.sha256(pdf).hexdigest(), "created_at": clock.now()})
        if len(rendered) == LETTERS_PER_COMMIT:
            _store_many(session, rendered)
            rendered = []
    _store_many(session, rendered)


#: The last revision's letters (:func:`_letters_of`), by the SHA-256 of its snapshot as stored.
_batch: tuple[str, rendering.Letters] | None = None
_batch_lock = threading.Lock()


def _letters_of(session: Session, revision_id: int) -> rendering.Letters:
    """The letters of a revision's snapshot, read once per process: the letters of a thousand halls are ten jobs,
    and decoding the snapshot (3 MB of JSON for a thousand halls) and reading it back into a document took a
    few tenths of a second each. Kept by the digest of the snapshot's stored text, not by the revision's id: a
    database made again (the tests) may give another revision the same id."""
    global _batch
    text = session.scalar(sa.select(sa.cast(NoticeRevision.snapshot, sa.Text)).where(NoticeRevision.id == revision_id))
    digest = hashlib.sha256(text.encode()).hexdigest()
    with _batch_lock:
        if _batch is None or _batch[0] != digest:
            _batch = (digest, rendering.Letters(json.loads(text)))
        return _batch[1]


def _store_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store rendered letters in one INSERT and commit: a letter stored meanwhile (a hall opened it) is kept,
    as :func:`_store` keeps the first stored."""
    if not rows:
        return
    insert = insert_for(session.get_bind())
    session.execute(insert(NoticeLetter).values(rows).on_conflict_do_nothing(
        index_elements=[NoticeLetter.revision_id, NoticeLetter.hall_id]))
    session.commit()


def letter(session: Session, revision: NoticeRevision, hall_id: int) -> bytes | None:
    """A hall's letter of a revision, as stored; rendered from the frozen snapshot and stored (committed) if
    it is not yet. ``None`` if the revision has no line for the hall."""
    stored = session.scalar(sa.select(NoticeLetter.pdf).where(NoticeLetter.revision_id == revision.id,
                                                              NoticeLetter.hall_id == hall_id))
    if stored is not None:
        return stored
    line = queries.hall_line(revision, hall_id)
    if line is None:
        return None
    # what the hall has already rectified and had verified when the letter is first rendered is not listed again
    settled = queries.settled_findings(session, line["code"], revision.period)
    return _store(session, revision.id, hall_id, rendering.letter_pdf(revision.snapshot, line["code"], settled))


def _store(session: Session, revision_id: int, hall_id: int, pdf: bytes) -> bytes:
    """Store a letter (committed) and return the stored bytes: the first stored is the letter."""
    session.add(NoticeLetter(revision_id=revision_id, hall_id=hall_id, pdf=pdf,
                             sha256=hashlib.sha256(pdf).hexdigest(), created_at=clock.now()))
    try:
        session.commit()
    except IntegrityError:  # rendered at the same moment elsewhere
        session.rollback()
        return session.scalar(sa.select(NoticeLetter.pdf).where(NoticeLetter.revision_id == revision_id,
                                                                NoticeLetter.hall_id == hall_id))
    return pdf
