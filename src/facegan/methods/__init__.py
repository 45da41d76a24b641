"""Methods: what is trained and how it samples (see `facegan.methods.base`); the built-in ones
are declared in `facegan.methods.configs` and imported when first built."""
