"""Data handlers: one module per data source, each registered by name (declared in
`facegan.data.configs`, imported when first built); `facegan.data.base.build_dataset` builds
the one a config names."""
