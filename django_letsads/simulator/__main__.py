"""``python -m django_letsads.simulator --port 8765``: a simulator without Django settings."""

from __future__ import annotations

from django_letsads.simulator.cli import main

if __name__ == "__main__":
    main()
