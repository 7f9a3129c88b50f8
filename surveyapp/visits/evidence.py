"""Photos as evidence on visits: stored through :mod:`surveyapp.photos` (content checks, re-encoding, resizing,
random names), attached to an item or to the visit, removed from the working copy, served to whoever may see them.
"""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveyapp import clock, geo, photos
from surveyapp.audit.services import record
from surveyapp.auth.models import User
from surveyapp.checklists.definition import EvidenceRule
from surveyapp.errors import Conflict, InvalidTransition, NotFound, ValidationError
from surveyapp.visits.models import Photo, PhotoHashBand, Visit
from surveyapp.visits.rules import VisitSettings
from surveyapp.visits.services import clean_uuid, require_own
from surveyapp.visits.signals import evidence_changed

#: Most photos one item (or the visit as a whole) may carry.
MAX_PER_ITEM = 10


def _check_item(visit: Visit, item_key: str | None) -> None:
    if item_key is None:
        return
    item = visit.checklist_version.definition.item(item_key)
    if item is None or not item.applies(visit.type, visit.hall.type):
        raise ValidationError(_("This checklist has no item %(key)s.", key=item_key))
    if item.evidence is EvidenceRule.NONE:
        raise ValidationError(_("This item takes no photos."))


def add_photo(session: Session, actor: User | None, visit: Visit, item_key: str | None, client_id: str | None,
              upload: Any, *, settings: VisitSettings) -> tuple[Photo, bool]:
    """Store an uploaded photo for ``item_key`` (or the whole visit) while the visit is being filled.

    A retried upload (same ``client_id``) returns the photo stored the first time.

    The file is written before the transaction commits: the caller commits inside
    :func:`surveyapp.photos.deleted_on_error` with the photo's key, so a failed commit leaves no file behind.

    :return: the photo and whether this call stored it.
    :raise ValidationError: not an acceptable photo (the message says why), or the item takes none.
    """
    require_own(actor, visit)
    client_id = clean_uuid(client_id, _("The photo id")) if client_id else str(uuid.uuid4())
    earlier = session.scalar(sa.select(Photo).where(Photo.client_id == client_id))
    if earlier is not None:
        if earlier.visit_id != visit.id:
            raise ValidationError(_("This photo id belongs to another visit."))
        return earlier, False
    if not visit.editable:
        raise InvalidTransition(_("This visit has already been submitted; it can no longer be changed."))
    _check_item(visit, item_key)
    count = sum(1 for p in visit.photos if p.item_key == item_key and p.removed_at is None)
    if count >= MAX_PER_ITEM:
        raise ValidationError(_("At most %(n)d photos per item.", n=MAX_PER_ITEM))
    hall_position = visit.hall.position  # loaded before the new photo joins visit.photos (no autoflush of it)
    stored = photos.save_photo(getattr(upload, "stream", upload))
    photo = Photo(uid=str(uuid.uuid4()), visit=visit, item_key=item_key, client_id=client_id, **stored.columns(),
                  phash=stored.phash or None, uploaded_at=clock.now(), uploaded_by_id=actor.id if actor else None)
    _check_place(photo, hall_position, stored.position, settings.geofence_metres)
    session.add(photo)
    try:
        session.flush()
    except IntegrityError as exc:
        # The same upload arrived twice at once: the first one is kept; a retry will find it.
        photos.delete_photo(stored.key)
        raise Conflict(_("This photo was being uploaded twice at once. Try again.")) from exc
    if photo.phash:
        session.add_all(PhotoHashBand(photo_id=photo.id, band=n, value=v) for n, v in enumerate(photos.phash_bands(photo.phash)))
    record(session, actor, "visit.photo_add", "visit", visit.uid, item_key or "-",
           {"photo": photo.uid, "item": item_key, "size": photo.size})
    return photo, True


def _check_place(photo: Photo, hall: tuple[float, float] | None, position: tuple[float, float] | None,
                 geofence_metres: float) -> None:
    """The geofence at upload: keep the distance to the hall and the verdict, never the photo's coordinates."""
    if position is None or hall is None:
        return
    distance = geo.distance_m(*position, *hall)
    photo.hall_distance_m = round(distance)
    photo.near_hall = distance <= geofence_metres


def remove_photo(session: Session, actor: User | None, visit: Visit, photo_uid: str) -> None:
    """Take a photo off the working copy (the file stays: an earlier revision may show it)."""
    require_own(actor, visit)
    if not visit.editable:
        raise InvalidTransition(_("This visit has already been submitted; it can no longer be changed."))
    photo = next((p for p in visit.photos if p.uid == photo_uid), None)
    if photo is None:
        raise NotFound(_("This photo does not exist, or you may not see it."))
    if photo.removed_at is None:
        photo.removed_at = clock.now()
        record(session, actor, "visit.photo_remove", "visit", visit.uid, photo.item_key or "-", {"photo": photo.uid})
        session.flush()
        evidence_changed.send(session, actor=actor, visit=visit)


def serve(photo: Photo, thumbnail: bool = False) -> Any:
    """The photo (or its 480 px thumbnail) as an attachment with nosniff; the caller has checked who may see it."""
    return photos.send_photo(photo.key, download_name=f"photo-{photo.uid[:8]}", thumbnail=thumbnail)
