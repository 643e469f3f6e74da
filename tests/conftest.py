"""Shared test configuration.

The package's pytest plugin is normally loaded through its ``pytest11`` entry point; when the
package is used from a checkout without being installed, load it here instead (loading it both
ways would register it twice).
"""

from __future__ import annotations

from importlib.metadata import entry_points

if not any(ep.value == "django_letsads.pytest_plugin" for ep in entry_points(group="pytest11")):
    pytest_plugins = ["django_letsads.pytest_plugin"]
