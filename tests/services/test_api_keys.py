"""API keys: 256 random bits, only a hash stored, shown once, revocable, last use noted."""

from datetime import timedelta

import pytest

from recurra.accounts.models import ApiKey
from recurra.accounts.services import api_key_authenticate, api_key_create, api_key_revoke, hash_secret
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()


def test_key_is_random_and_only_its_hash_is_stored(frozen_clock):
    issued = api_key_create(name="CI", role="editor", actor=SYSTEM)
    other = api_key_create(name="CI", role="editor", actor=SYSTEM)
    assert issued.secret.startswith("rk_") and len(issued.secret) >= 3 + 43  # 32 bytes urlsafe
    assert issued.secret != other.secret
    row = ApiKey.objects.get(pk=issued.key.pk)
    assert row.secret_hash == hash_secret(issued.secret)
    stored = [str(v) for v in ApiKey.objects.values_list(flat=False).get(pk=row.pk)]
    assert issued.secret not in stored
    event = Event.objects.get(object_id=row.pk)
    assert "secret_hash" not in event.data["after"] and issued.secret not in str(event.data)


def test_bad_role_or_name_is_refused():
    with pytest.raises(ValidationFailed) as err:
        api_key_create(name="x", role="owner", actor=SYSTEM)
    assert err.value.errors[0].field == "role"
    with pytest.raises(ValidationFailed):
        api_key_create(name="  ", role="viewer", actor=SYSTEM)
    assert not ApiKey.objects.exists()


def test_authenticate_notes_last_use_at_most_once_a_minute(frozen_clock):
    issued = api_key_create(name="k", role="viewer", actor=SYSTEM)
    assert api_key_authenticate(secret=issued.secret, at=frozen_clock).pk == issued.key.pk
    assert ApiKey.objects.get().last_used_at == frozen_clock
    api_key_authenticate(secret=issued.secret, at=frozen_clock + timedelta(seconds=30))
    assert ApiKey.objects.get().last_used_at == frozen_clock
    api_key_authenticate(secret=issued.secret, at=frozen_clock + timedelta(minutes=2))
    assert ApiKey.objects.get().last_used_at == frozen_clock + timedelta(minutes=2)


def test_unknown_or_revoked_keys_do_not_authenticate(frozen_clock):
    issued = api_key_create(name="k", role="viewer", actor=SYSTEM)
    assert api_key_authenticate(secret="rk_nope", at=frozen_clock) is None
    assert api_key_authenticate(secret=issued.secret[3:], at=frozen_clock) is None
    api_key_revoke(key=issued.key, actor=SYSTEM, at=frozen_clock)
    assert api_key_authenticate(secret=issued.secret, at=frozen_clock) is None
    with pytest.raises(Conflict):
        api_key_revoke(key=issued.key, actor=SYSTEM, at=frozen_clock)
    assert [e.type for e in Event.objects.filter(object_id=issued.key.pk).order_by("id")] == [
        "api_key.created",
        "api_key.revoked",
    ]
