"""Quiet hours: the local times (``LETSADS["QUIET_HOURS"]`` in ``LETSADS["TIME_ZONE"]``) in which
no campaign message is claimed, and when the hours holding a campaign now end.

Wall-clock arithmetic only: no database. Messages without a campaign are never held (one-time
codes must go at night too); :mod:`django_letsads.scheduling` re-exports both functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from django_letsads.conf import letsads_settings
from django_letsads.models import Campaign


def quiet_hours_end(now: datetime | None = None) -> datetime | None:
    """When the quiet hours that hold campaigns at ``now`` end, or None if they do not hold them.

    The window is read as wall-clock times in ``LETSADS["TIME_ZONE"]`` on the day in question,
    so a daylight-saving change moves it with the clocks on the wall: "09:00" is 09:00 on the
    days the clocks change too, whatever the UTC offset that morning.
    """
    window = letsads_settings.QUIET_HOURS
    if window is None:
        return None
    start, end = window
    zone = letsads_settings.TIME_ZONE
    local = (now or timezone.now()).astimezone(zone)
    moment = local.time().replace(tzinfo=None)
    day = local.date()
    if start < end:  # the same day, e.g. 13:00-14:00
        if not start <= moment < end:
            return None
    elif moment >= start:  # crossing midnight, before it: ends tomorrow
        day += timedelta(days=1)
    elif moment >= end:  # crossing midnight, between its end and its next start
        return None
    return datetime.combine(day, end, tzinfo=zone)


def holds(campaign: Campaign, now: datetime | None = None) -> datetime | None:
    """When ``campaign`` stops being held by quiet hours, or None if they do not hold it."""
    return None if campaign.ignore_quiet_hours else quiet_hours_end(now)
