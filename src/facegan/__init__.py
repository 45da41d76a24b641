"""facegan: train, evaluate and serve generative models of faces."""

__version__ = "0.1.0"
