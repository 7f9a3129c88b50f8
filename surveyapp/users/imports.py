"""Import and export of user accounts (``flask users import FILE`` and the upload page).

Imported accounts have no password: an administrator sets one (``flask users set-password`` or the
"Reset password" page) before the person can log in, so no password ever travels in a spreadsheet.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp.auth.models import Role, User
from surveyapp.bulk import (
    Column,
    Kind,
    Report,
    Row,
    RowErrors,
    bool_cell,
    parse_bool,
    register,
    split_codes,
    upsert,
)
from surveyapp.i18n import localized
from surveyapp.users import services
from surveyapp.users.queries import UserFilter, user_query

ROLE_NAMES = {
    "admin": Role.ADMIN, "administrator": Role.ADMIN, "管理员": Role.ADMIN, "系统管理员": Role.ADMIN,
    "market": Role.MARKET, "市场部": Role.MARKET, "市场": Role.MARKET,
    "supervisor": Role.SUPERVISOR, "监督员": Role.SUPERVISOR, "社会监督员": Role.SUPERVISOR, "检查员": Role.SUPERVISOR,
    "hall_manager": Role.HALL_MANAGER, "hall manager": Role.HALL_MANAGER, "hall-manager": Role.HALL_MANAGER,
    "营业厅负责人": Role.HALL_MANAGER, "厅经理": Role.HALL_MANAGER, "营业厅经理": Role.HALL_MANAGER,
}
ROLE_CELL = {Role.ADMIN: ("系统管理员", "admin"), Role.MARKET: ("市场部", "market"),
             Role.SUPERVISOR: ("监督员", "supervisor"), Role.HALL_MANAGER: ("营业厅负责人", "hall_manager")}


def _flag(row: Row, key: str, default: bool, errors: RowErrors) -> bool | None:
    value = parse_bool(row[key], default)
    if value is None:
        errors.add(row, _("\"%(value)s\" is not 是/否 (yes/no)", value=row[key]))
    return value


def import_users(session: Session, actor: User | None, rows: list[Row], report: Report) -> None:
    """Create or update accounts by username; absent optional columns leave existing values alone."""
    errors = RowErrors()
    users = {u.username: u for u in session.scalars(sa.select(User))}
    first: dict[str, int] = {}
    for row in rows:
        username = row["username"].lower()
        if username in first:
            errors.add(row, _("username %(name)s already appears on row %(row)d", name=username, row=first[username]))
            continue
        first[username] = row.number
        role = ROLE_NAMES.get(row["role"].lower())
        if role is None:
            errors.add(row, _("the role \"%(value)s\" is not one of admin, market, supervisor, hall_manager", value=row["role"]))
            continue
        user = users.get(username)
        # "社会监督员" as the role says the supervisor is external, unless the file has an external column.
        social = row["role"] == "社会监督员"
        external = _flag(row, "external", social, errors) if row.has("external") else (social or (user.external if user else False))
        active = _flag(row, "active", True, errors) if row.has("active") else None
        if external is None or (row.has("active") and active is None):
            continue
        halls = split_codes(row["halls"]) if row.has("halls") else [h.code for h in user.halls] if user else []
        units = split_codes(row["units"]) if row.has("units") else [u.code for u in user.units] if user else []
        email = row["email"] if row.has("email") else (user.email if user else None)
        values = {"display_name": row["display_name"], "role": role, "email": email, "external": external,
                  "hall_codes": halls, "unit_codes": units}
        user = upsert(row, errors, report, user,
                      create=partial(services.create_user, session, actor, username=username, **values),
                      update=partial(services.update_user, session, actor, **values),
                      set_active=partial(services.set_active, session, actor), active=active)
        if user is not None:
            users[username] = user
    errors.raise_if_any()


def export_users(session: Session, filter: UserFilter | None = None) -> Iterator[list[Any]]:
    for user in session.scalars(user_query(session, filter or UserFilter(status="all"))):
        yield [user.username, user.display_name, localized(*ROLE_CELL[user.role]), ";".join(h.code for h in user.halls),
               ";".join(u.code for u in user.units), bool_cell(user.external), user.email or "", bool_cell(user.active)]


register(Kind(
    name="users", title=_l("Users"), apply=import_users, export=export_users, roles=(Role.ADMIN,), filters=UserFilter.from_args,
    columns=(
        Column("username", "用户名", "username", ("账号", "登录名", "login"), required=True,
               help=_l("Login name: letters, digits, dots, hyphens, underscores or @; case does not matter.")),
        Column("display_name", "显示名", "display_name", ("姓名", "名称", "name"), required=True, help=_l("The person's name.")),
        Column("role", "角色", "role", (), required=True,
               help=_l("系统管理员/市场部/监督员/营业厅负责人, or admin/market/supervisor/hall_manager. One role per account.")),
        Column("halls", "营业厅", "halls", ("负责营业厅", "营业厅编码", "hall"),
               help=_l("Hall managers only: hall codes separated by ;")),
        Column("units", "覆盖单位", "units", ("单位", "单位编码", "unit"),
               help=_l("Supervisors only: codes of the units they cover (and the units below them), separated by ;")),
        Column("external", "社会监督员", "external", ("外部", "外部监督员"),
               help=_l("是/否: a social supervisor from outside the company (supervisors only).")),
        Column("email", "邮箱", "email", ("电子邮件", "e-mail", "mail"), help=_l("E-mail address (optional).")),
        Column("active", "启用", "active", ("状态", "是否启用", "status"),
               help=_l("是/否. Empty: active for new accounts, unchanged for existing ones.")),
    ),
    notes=_l("A row with an existing username updates that account; importing the same file again changes nothing."),
    extra_help=[_l("Imported accounts have no password: set one with \"Reset password\" before the person logs in.")],
))
