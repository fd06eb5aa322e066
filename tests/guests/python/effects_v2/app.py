"""v2 of `evolve_patched` (tests/e2e/python.rs): a step added before the
sleep behind `ctx.patched`, so runs parked on v1 move and skip it."""

from __future__ import annotations

from dataclasses import dataclass

from cairn import Ctx, step, workflow

VERSION = "v2"


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
    if ctx.patched("add-n"):
        steps.append(ctx.step(n, input.x))
    ctx.sleep(input.park_secs)
    steps.append(ctx.step(b, input.x))
    return {"version": VERSION, "steps": steps}
