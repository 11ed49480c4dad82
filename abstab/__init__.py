"""abstab: benchmarks of question answering over report tables with abstract headers."""

__version__ = "0.1.0"
