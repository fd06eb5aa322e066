"""The body's ``random``, ``time`` and ``uuid`` modules, routed to the
journaled imports while a workflow body runs.

A body instance's WASI clock and randomness are already replay-stable
(the host gives it the journal's logical time and a stream seeded from
the run id), but they are not what a person means by "now" or "random".
So inside ``run`` the SDK points the usual module functions at the host:

- ``time.time()`` / ``time.time_ns()`` are ``ctx.now()`` (one journal
  entry per call); ``time.sleep(s)`` is ``ctx.sleep(s)``, durable.
- ``random.*`` draw from a generator seeded, at its first use, by one
  journaled ``ctx.random_bits()``: the same numbers on every replay.
- ``uuid.uuid4()`` comes from that generator too.

``datetime.datetime.now()`` cannot be patched (a C type); it reads the
logical clock, which is deterministic but moves only with the journal.
Use ``ctx.now()``.
"""

from __future__ import annotations

import contextlib
import random as _random
import time as _time
import uuid as _uuid

from ._wit import context as _host


class JournaledRandom(_random.Random):
    """A Mersenne Twister seeded lazily from one journaled host draw."""

    def __init__(self) -> None:
        super().__init__(0)
        self._seeded = False

    def _ensure(self) -> None:
        if not self._seeded:
            self._seeded = True
            super().seed(_host.random())

    def seed(self, a=None, version=2) -> None:  # noqa: D401 - the Random API
        if a is None:
            self._seeded = False  # "from the system": from the journal, lazily
        else:
            self._seeded = True
            super().seed(a, version)

    def random(self) -> float:
        self._ensure()
        return super().random()

    def getrandbits(self, k: int) -> int:
        self._ensure()
        return super().getrandbits(k)

    def randbytes(self, n: int) -> bytes:
        return self.getrandbits(n * 8).to_bytes(n, "little")


_RANDOM_NAMES = [
    n
    for n in getattr(_random, "__all__", [])
    if n[0].islower() and callable(getattr(_random.Random, n, None))
]


@contextlib.contextmanager
def body():
    """Routes the modules to the host for the duration of a body call."""
    rng = JournaledRandom()
    patches = [
        (_time, "time", lambda: _host.now() / 1000.0),
        (_time, "time_ns", lambda: _host.now() * 1_000_000),
        (_time, "sleep", lambda s: _host.sleep(max(0, int(s * 1000)))),
        (_uuid, "uuid4", lambda: _uuid.UUID(int=rng.getrandbits(128), version=4)),
    ]
    patches += [(_random, n, getattr(rng, n)) for n in _RANDOM_NAMES]
    saved = [(m, n, getattr(m, n)) for m, n, _ in patches]
    for m, n, f in patches:
        setattr(m, n, f)
    try:
        yield rng
    finally:
        for m, n, f in saved:
            setattr(m, n, f)
