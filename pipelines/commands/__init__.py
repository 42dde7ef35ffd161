"""One module per ``chu-bench`` sub-command: ``register(subparsers)`` sets ``handler``."""
