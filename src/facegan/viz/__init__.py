"""Pictures of a run: sample grids, loss curves, weight histograms."""

import matplotlib

matplotlib.use("Agg")  # files only: never open a window, works on headless machines
