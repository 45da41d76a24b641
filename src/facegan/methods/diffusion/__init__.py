"""Diffusion methods: the ``ddpm`` denoising objective and the multi-step sampler."""

from facegan.methods.diffusion import method  # noqa: F401  (registers "ddpm")
