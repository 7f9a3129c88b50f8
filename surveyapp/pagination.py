"""Paginated lists: one query for the page, one for the count."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, width: int = 2) -> list[int | None]:
        """Page numbers to show, with ``None`` for a gap: 1 … 4 5 [6] 7 8 … 20."""
        shown: list[int | None] = []
        for n in range(1, self.pages + 1):
            if n in (1, self.pages) or abs(n - self.page) <= width:
                shown.append(n)
            elif shown and shown[-1] is not None:
                shown.append(None)
        return shown


def paginate(session: Session, query: sa.Select[Any], page: int, per_page: int, scalars: bool = True) -> Page[Any]:
    """Run ``query`` for one page (1-based; out-of-range pages clamp to the last)."""
    total = session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    paged = query.limit(per_page).offset((page - 1) * per_page)
    items = list(session.scalars(paged)) if scalars else list(session.execute(paged))
    return Page(items, page, per_page, total)
