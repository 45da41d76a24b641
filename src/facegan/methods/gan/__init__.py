"""GAN methods: losses, the critic view with DiffAugment, objectives and the GAN sampler."""

from facegan.methods.gan import objectives  # noqa: F401  (registers the GAN objectives)
