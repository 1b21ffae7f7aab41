"""State TTL on the local runtime's virtual clock: when a state expires, and expiring it.

A state with an ``expireAfter`` in module.yaml expires that long after it was last written
(``after-write``) or last read or written (``after-invoke``: a request reads every state).
Its time is kept per address in :attr:`AddressState.accessed
<statefun.local.addresses.AddressState.accessed>`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from statefun.local.addresses import AddressState
from statefun.local.mailbox import Address, address_text

__all__ = ["END_OF_TIME", "due", "expire", "expiry", "is_expired", "read"]

#: The virtual clock's horizon: Python's dates end in the year 9999.
END_OF_TIME = datetime.max.replace(tzinfo=UTC)


def expiry(accessed: datetime, expire_after: timedelta) -> datetime:
    """When a state read or written at ``accessed`` expires (the end of time if past it)."""
    if expire_after >= END_OF_TIME - accessed:
        return END_OF_TIME
    return accessed + expire_after


def is_expired(st: AddressState, name: str, now: datetime) -> bool:
    """Whether state ``name`` of ``st`` has a TTL that has run out by ``now``."""
    state_spec = st.info.ttl.get(name)
    accessed = st.accessed.get(name)
    if state_spec is None or accessed is None:
        return False
    return expiry(accessed, state_spec.expire_after) <= now  # type: ignore[arg-type]


def expire(st: AddressState, name: str) -> bytes:
    """Remove state ``name`` of ``st`` (it has a value) and return the value it had."""
    value = st.values.pop(name)
    st.accessed.pop(name, None)
    return value


def read(
    st: AddressState, name: str, now: datetime, on_expired: Callable[[str, bytes], None]
) -> bytes | None:
    """The value a request at ``now`` carries for state ``name``: None once its TTL has run
    out, after expiring it and calling ``on_expired(name, the value it had)``. Reading an
    ``after-invoke`` state restarts its TTL."""
    value = st.values.get(name)
    if value is None:
        return None
    state_spec = st.info.ttl.get(name)
    if state_spec is None:
        return value
    if is_expired(st, name, now):
        on_expired(name, expire(st, name))
        return None
    if state_spec.expire_mode == "after-invoke":
        st.accessed[name] = now  # OnReadAndWrite: a request reads every state
    return value


def due(
    addresses: Mapping[Address, AddressState], with_ttl: set[Address], when: datetime
) -> list[tuple[datetime, str, Address, str]]:
    """Every TTL state whose time has come by ``when``, in time order (then by address, name):
    ``(expiry, address text, address, name)``. Addresses of ``with_ttl`` that have no TTL state
    left are dropped from it."""
    found: list[tuple[datetime, str, Address, str]] = []
    for address in list(with_ttl):
        st = addresses[address]
        for name, accessed in st.accessed.items():
            when_due = expiry(accessed, st.info.ttl[name].expire_after)  # type: ignore[arg-type]
            if when_due <= when and name in st.values:
                found.append((when_due, address_text(address), address, name))
        if not st.accessed:
            with_ttl.discard(address)
    return sorted(found)
