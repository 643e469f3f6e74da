"""Template tags of the admin pages: ``{% letsads_worker_banners %}``."""

from __future__ import annotations

from typing import Any

from django import template

from django_letsads.admin.health import worker_banners

register = template.Library()


@register.inclusion_tag("django_letsads/worker_banners.html")
def letsads_worker_banners() -> dict[str, Any]:
    """Whether send and poll workers are running (see :mod:`django_letsads.admin.health`)."""
    return {"banners": worker_banners()}
