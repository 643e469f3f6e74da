"""A test backend: validates like the real one, then appends messages to ``django_letsads.outbox``.

The outbox is emptied before each test by the ``sms_outbox`` pytest fixture (autouse through the
package's pytest plugin) and, under Django's test runner, by ``LetsAdsTestMixin``. Results are
``queued`` with fake, increasing ``sms_id``s, as the gateway would answer.
"""

from __future__ import annotations

import itertools

from django_letsads.backends.base import BaseSmsBackend, PreparedMessage
from django_letsads.dispatch import BatchResult, Outcome
from django_letsads.status import Status

_ids = itertools.count(1)


class SmsBackend(BaseSmsBackend):
    def deliver(self, prepared: PreparedMessage) -> BatchResult:
        import django_letsads

        django_letsads.outbox.append(prepared.message)
        return BatchResult(
            outcomes={n: Outcome(Status.QUEUED, sms_id=next(_ids)) for n in prepared.recipients}
        )


class LetsAdsTestMixin:
    """For Django's test runner: empties ``django_letsads.outbox`` before each test.

    ``class MyTests(LetsAdsTestMixin, TestCase): ...`` (pytest users get this automatically).
    """

    @classmethod
    def _pre_setup(cls) -> None:
        import django_letsads

        super()._pre_setup()  # type: ignore[misc]
        django_letsads.outbox.clear()
