"""The Python twin of tests/guests/bench (the `python` bench group):
`chain`, input `{"steps": N}`, runs N sequential no-op steps."""

from dataclasses import dataclass

from cairn import Ctx, step, workflow


@dataclass
class ChainInput:
    steps: int


@step
def noop(i: int) -> int:
    return i + 1


@workflow
def chain(ctx: Ctx, input: ChainInput) -> dict:
    last = 0
    for i in range(input.steps):
        last = ctx.step(noop, i)
    return {"steps": input.steps, "last": last}
