"""The organisation: a unit tree, halls and their staff."""
from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.db import Model


class HallType(str, enum.Enum):
    """自办 (run by the company) or 合作 (run by a partner)."""

    SELF_RUN = "self-run"
    COOPERATIVE = "cooperative"


class Unit(Model):
    """A node of the organisation tree: company, city branch, county branch, ..."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")
    halls: Mapped[list[Hall]] = relationship(back_populates="unit", order_by="Hall.code")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Hall(Model):
    """A customer-service business hall (营业厅)."""

    __tablename__ = "hall"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    type: Mapped[HallType] = mapped_column(sa.Enum(HallType, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(200))
    #: Optional position in degrees (WGS 84): travel between visits and photos taken near the hall are checked.
    latitude: Mapped[float | None] = mapped_column(sa.Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float | None] = mapped_column(sa.Numeric(9, 6, asdecimal=False))
    active: Mapped[bool] = mapped_column(default=True, index=True)
    #: When the hall was added; ``None`` for halls older than the column. A month closed before it is not its.
    created_at: Mapped[dt.datetime | None]

    unit: Mapped[Unit] = relationship(back_populates="halls")
    staff: Mapped[list[Staff]] = relationship(back_populates="hall", order_by="Staff.job_number")

    @property
    def position(self) -> tuple[float, float] | None:
        """``(latitude, longitude)``, or ``None`` when the hall has no location."""
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude

    def __repr__(self) -> str:
        return f"<Hall {self.code}>"


class Staff(Model):
    """A hall employee (营业员), named in findings and commendations by job number (工号)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    hall_id: Mapped[int] = mapped_column(sa.ForeignKey("hall.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    hall: Mapped[Hall] = relationship(back_populates="staff")

    def __repr__(self) -> str:
        return f"<Staff {self.job_number}>"
