"""``facegan`` (arguments as on its command line) that kills itself with SIGKILL at one point:
``KILL_AT=step:N`` in its N-th phase computation, ``checkpoint`` while writing its 2nd
checkpoint, ``plots`` while drawing the loss plot of epoch 2. Started by
tests/training/test_kill_safety.py."""

import os
import signal

import facegan.callbacks
import facegan.training.checkpoint
from facegan.cli import main
from facegan.methods.gan.objectives import GANObjective

POINT, _, NTH = os.environ["KILL_AT"].partition(":")
calls = {"n": 0}


def dies_on(nth: int, original):
    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == nth:
            if POINT == "checkpoint":
                original(*args, **kwargs)  # a file of the checkpoint is written, the rest not
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return wrapper


if POINT == "step":
    GANObjective.compute = dies_on(int(NTH), GANObjective.compute)
elif POINT == "checkpoint":
    facegan.training.checkpoint.save_weights = dies_on(
        2, facegan.training.checkpoint.save_weights)
elif POINT == "plots":
    facegan.callbacks.plot_losses = dies_on(2, facegan.callbacks.plot_losses)
main()
