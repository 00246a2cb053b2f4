"""Demo logins, one per role (idempotent). The password is printed by seed_demo."""

from core.audited import set_reason

from .models import Role, RoleAssignment, User

DEMO_PASSWORD = "demo-pass-2026"


def _user(username: str, name: str, *, superuser: bool = False) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=name, is_staff=True, is_superuser=superuser)
        user.set_password(DEMO_PASSWORD)
        set_reason(user, "演示数据").save()
    return user


def _assign(user: User, role: str, **scope) -> None:
    if not RoleAssignment.objects.filter(user=user, role=role, **scope).exists():
        assignment = RoleAssignment(user=user, role=role, **scope)
        assignment.full_clean()
        set_reason(assignment, "演示数据").save()


def load(places: dict) -> list[tuple[str, str, str]]:
    """Returns (role, username, scope) for each demo login."""
    logins = [
        ("admin", "系统管理员", Role.ADMINISTRATOR, {}),
        ("finance.county", "区财务审批员", Role.FINANCE_OFFICER, {"region": places["county"]}),
        ("finance.town", "街道财务审批员", Role.FINANCE_OFFICER, {"region": places["township"]}),
        ("federation", "联合会社工", Role.FEDERATION_STAFF, {"federation": places["federation"]}),
        # A second staff member: expense claims one of them forwards, the other approves.
        (
            "federation.acct",
            "联合会会计",
            Role.FEDERATION_STAFF,
            {"federation": places["federation"]},
        ),
        (
            "orgrep",
            "社会组织负责人",
            Role.ORGANIZATION_REP,
            {"organization": places["organization"]},
        ),
        ("auditor", "市审计员", Role.AUDITOR, {"region": places["city"]}),
    ]
    printed = []
    for username, name, role, scope in logins:
        user = _user(username, name, superuser=(role == Role.ADMINISTRATOR))
        _assign(user, role, **scope)
        scope_name = next(iter(scope.values())).name if scope else "全部"
        printed.append((Role(role).label, username, scope_name))
    return printed
