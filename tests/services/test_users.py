"""Users: checked on creation; the last super admin stays a super admin."""

import pytest

from recurra.accounts.models import User
from recurra.accounts.services import user_create, user_set_role
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()
GOOD = "correct-horse-battery"


def test_create_reports_every_bad_field_at_once():
    user_create(username="sam", email="sam@example.com", password=GOOD, role="editor", actor=SYSTEM)
    with pytest.raises(ValidationFailed) as err:
        user_create(username="SAM", email="not-an-email", password="short", role="editor", actor=SYSTEM)
    fields = [e.field for e in err.value.errors]
    assert fields[:2] == ["username", "email"] and "password" in fields
    assert User.objects.count() == 1


def test_common_password_is_refused():
    with pytest.raises(ValidationFailed) as err:
        user_create(username="pat", email="", password="password123", role="viewer", actor=SYSTEM)
    assert {e.field for e in err.value.errors} == {"password"}


def test_last_super_admin_cannot_be_demoted():
    boss = user_create(username="boss", email="", password=GOOD, role="super_admin", actor=SYSTEM)
    with pytest.raises(Conflict, match="last super admin"):
        user_set_role(user=boss, role="editor", actor=SYSTEM)
    assert User.objects.get(pk=boss.pk).role == "super_admin"
    other = user_create(username="deputy", email="", password=GOOD, role="super_admin", actor=SYSTEM)
    user_set_role(user=boss, role="editor", actor=SYSTEM)
    assert User.objects.get(pk=boss.pk).role == "editor"
    with pytest.raises(Conflict):
        user_set_role(user=other, role="viewer", actor=SYSTEM)
    changes = Event.objects.filter(type="user.role_changed")
    assert [(e.data["before"], e.data["after"]) for e in changes] == [
        ({"role": "super_admin"}, {"role": "editor"})
    ]
