"""Model architectures: pure ``nn.Module``s built from frozen config dataclasses (declared in
`facegan.models.configs`); `facegan.models.base.build_models` builds the ones a config names."""
