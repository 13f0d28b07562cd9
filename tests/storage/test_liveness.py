"""Which process owns a run: a live one, a dead one, one on another host."""
from moa_core.storage.liveness import owner_gone, owner_token
from tests.storage.samples import dead_pid


def test_owner_liveness():
    assert owner_gone(owner_token()) is False
    assert owner_gone(owner_token(dead_pid())) is True
    assert owner_gone("another-host:1:1") is None and owner_gone(None) is None
