"""Ids, roles and cursors: small rules everything else leans on."""

import os
import re

import pytest

from recurra.accounts.roles import Role, allows, needed_for_method
from recurra.core import ids
from recurra.core.errors import ValidationFailed
from recurra.core.pagination import _after, decode_cursor, encode_cursor


def test_ids_in_one_millisecond_still_increase(monkeypatch):
    monkeypatch.setattr(ids.clock, "epoch_ms", lambda: 1_800_000_000_000)
    made = [ids.new_id("deal") for _ in range(500)]
    assert made == sorted(made) and len(set(made)) == 500


def test_ids_are_prefixed_unique_and_time_ordered(monkeypatch):
    ticks = iter(range(1_700_000_000_000, 1_700_000_001_000))
    monkeypatch.setattr(ids.clock, "epoch_ms", lambda: next(ticks))
    made = [ids.new_id("con") for _ in range(200)]
    assert all(re.fullmatch(r"con_[0-9a-hjkmnp-tv-z]{26}", i) for i in made)
    assert len(set(made)) == 200
    assert made == sorted(made)


@pytest.mark.parametrize(
    ("role", "needed", "ok"),
    [
        ("viewer", "viewer", True),
        ("viewer", "editor", False),
        ("editor", "editor", True),
        ("editor", "super_admin", False),
        ("super_admin", "editor", True),
        ("root", "viewer", False),
    ],
)
def test_role_ranks(role, needed, ok):
    assert allows(role, needed) is ok


def test_methods_map_to_roles():
    assert needed_for_method("GET") == Role.VIEWER
    assert needed_for_method("head") == Role.VIEWER
    for method in ("POST", "PATCH", "PUT", "DELETE"):
        assert needed_for_method(method) == Role.EDITOR


def test_cursor_roundtrip_and_tamper():
    assert decode_cursor(encode_cursor(["2027-01-01", "con_x"]), 2) == ["2027-01-01", "con_x"]
    for bad in ("!!!", encode_cursor(["only-one"]), encode_cursor({"a": 1}), "e30"):
        with pytest.raises(ValidationFailed) as err:
            decode_cursor(bad, 2)
        assert err.value.errors[0].field == "cursor"


def test_keyset_condition_is_lexicographic():
    q = _after(("-created_at", "id"), ["2027-01-01", "x"])
    text = str(q)
    assert "created_at__lt" in text and "id__gt" in text


def test_a_forked_child_does_not_continue_its_parents_ids() -> None:
    """Two forked workers counting on from their parent's last id would make the same ids."""
    ids.new_id("t")  # the parent has a last id
    assert ids._last != 0
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports its counter and exits at once
        os.write(write, str(ids._last).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 100) == b"0"


def test_an_id_starts_with_its_millisecond_in_crockford_base32(monkeypatch):
    """The ULID spec's own example: 1469918176385 ms is 01ARYZ6S41; the 16 digits after it are random."""
    monkeypatch.setattr(ids.clock, "epoch_ms", lambda: 1_469_918_176_385)
    monkeypatch.setattr(ids, "_last", 0)  # no later id made before (that one would count on)
    made = ids.new_id("x")
    assert made[:12] == "x_01aryz6s41"
    assert len(made) == 2 + 26 and set(made[2:]) <= set("0123456789abcdefghjkmnpqrstvwxyz")
    assert ids._encode(2**128 - 1, 26) == "7" + "z" * 25  # 128 bits: the first digit holds 3


def test_ids_counting_up_are_encoded_as_a_whole(monkeypatch):
    """Consecutive ids re-encode only their last digits: the result is the whole encoding still,
    also where counting up carries into the digits kept (every 2**20)."""
    monkeypatch.setattr(ids.clock, "epoch_ms", lambda: 1_800_000_000_000)
    monkeypatch.setattr(ids, "_last", (1_800_000_000_000 << 80) | (2**20 - 3))  # 3 before a carry
    made = [ids.new_id("x") for _ in range(6)]
    bodies = [(1_800_000_000_000 << 80) | (2**20 - 3 + k) for k in range(1, 7)]
    assert made == [f"x_{ids._encode(body, 26)}" for body in bodies]
    assert made == sorted(made) and len(set(made)) == 6


def test_ids_made_together_are_those_made_one_by_one(monkeypatch):
    monkeypatch.setattr(ids.clock, "epoch_ms", lambda: 1_800_000_000_000)
    monkeypatch.setattr(ids, "_last", (1_800_000_000_000 << 80) | 5)
    together = ids.new_ids("evt", 4)
    monkeypatch.setattr(ids, "_last", (1_800_000_000_000 << 80) | 5)
    assert together == [ids.new_id("evt") for _ in range(4)]
    assert ids.new_id("evt") > together[-1] and ids.new_ids("evt", 0) == []
