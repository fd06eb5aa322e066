"""The Python guest of tests/e2e/python.rs (v1).

- `chain`: `n` steps in a row, each a request to `url/i` on the test's
  side-effect server: the crash test kills the host mid-chain.
- `evolve_patched`: a step, a durable sleep, a step; `effects_v2` adds a
  step before the sleep behind `ctx.patched("add-n")`.
- `determinism`: a body whose calls follow a `set` of strings, `random`,
  `uuid` and `time`, parked in a sleep: a run started on one build must
  replay on a rebuild of this same file.
- `yearly`: a `cron` trigger at midnight on 1 January in Paris, listed by
  `cairn schedules` (it never fires during a test).
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass

import cairn
from cairn import Ctx, cron, step, workflow

VERSION = "v1"


@dataclass
class ChainInput:
    url: str
    n: int


@step(max_attempts=3, backoff="100ms")
def hit(url: str, i: int) -> str:
    reply = cairn.http.post_json(f"{url}/{i}", {"i": i})
    reply.raise_for_status()
    return reply.text()


@workflow
def chain(ctx: Ctx, input: ChainInput) -> list:
    return [ctx.step(hit, input.url, i) for i in range(input.n)]


@dataclass
class EvolveInput:
    x: int
    park_secs: float


@step
def a(x: int) -> str:
    return f"a{x}"


@step
def b(x: int) -> str:
    return f"b{x}"


@step
def n(x: int) -> str:
    return f"n{x}"


@workflow
def evolve_patched(ctx: Ctx, input: EvolveInput) -> dict:
    steps = [ctx.step(a, input.x)]
    ctx.sleep(input.park_secs)
    steps.append(ctx.step(b, input.x))
    return {"version": VERSION, "steps": steps}


@step
def tag(word: str) -> str:
    return f"<{word}>"


WORDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}


@workflow
def determinism(ctx: Ctx, park_secs: float) -> dict:
    # Iterating a set of strings follows CPython's string hashes: the same
    # order in every build only if the hash seed is fixed.
    tags = [ctx.step(tag, w) for w in WORDS]
    drawn = [random.random(), random.randint(0, 1000)]
    ident = str(uuid.uuid4())
    started = time.time()
    time.sleep(park_secs)  # durable: routed to ctx.sleep
    return {
        "tags": tags,
        "drawn": drawn,
        "uuid": ident,
        "slept": time.time() - started >= park_secs,
        "version": VERSION,
        "hash_order": [w for w in WORDS],
    }


# A schedule (far apart, so no test run sees it fire): `cairn schedules`
# lists it from the manifest extension.
@workflow(triggers=[cron("0 0 1 1 *", tz="Europe/Paris", catch_up="skip")])
def yearly(ctx: Ctx) -> None:
    return None
