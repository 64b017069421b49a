"""pytest-llmeval: evaluate a model checkpoint on benchmark subjects as pytest items, gated by thresholds."""

__version__ = "0.1.0"
