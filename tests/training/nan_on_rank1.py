"""``facegan`` (arguments as on its command line) with the discriminator's loss made NaN on rank
1 from its 12th step on: started by torchrun in tests/training/test_distributed.py."""

import os

from facegan.cli import main
from facegan.methods.gan.objectives import GANObjective

NAN_FROM_STEP = 12
original = GANObjective.compute
steps = 0


def compute(self, phase, networks, batch, step):
    global steps
    out = original(self, phase, networks, batch, step)
    if phase.name == "discriminator":
        steps += 1
        if os.environ.get("RANK") == "1" and steps >= NAN_FROM_STEP:
            out["loss"] = out["loss"] * float("nan")
    return out


GANObjective.compute = compute
main()
