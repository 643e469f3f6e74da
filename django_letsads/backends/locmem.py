"""A test backend: validates like the real one, then appends messages to ``django_letsads.outbox``.

Tests never reach a gateway, whatever ``SMS_BACKEND`` the project's settings name: as Django's
test runner switches e-mail to its locmem backend, the package's pytest plugin (for every test)
and ``LetsAdsTestMixin`` (for Django's test runner) switch ``SMS_BACKEND`` to this one and empty
the outbox before each test. Results are ``queued`` with fake, increasing ``sms_id``s, as the
gateway would answer.
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

        prepared.message.using = self.using  # the account it went through, for tests to check
        django_letsads.outbox.append(prepared.message)
        return BatchResult(
            outcomes={n: Outcome(Status.QUEUED, sms_id=next(_ids)) for n in prepared.recipients}
        )


#: What tests send through unless they opt out.
TEST_BACKEND = f"{__name__}.SmsBackend"


class LetsAdsTestMixin:
    """For Django's test runner: ``SMS_BACKEND`` is this locmem backend for the class's tests,
    and ``django_letsads.outbox`` is emptied before each test.

    ``class MyTests(LetsAdsTestMixin, TestCase): ...`` (pytest users get this automatically).
    An ``override_settings(SMS_BACKEND=...)`` on the class or a test still wins; set
    ``letsads_keep_backend = True`` on the class to keep the backend of the settings instead.
    """

    letsads_keep_backend = False

    @classmethod
    def setUpClass(cls) -> None:
        if not cls.letsads_keep_backend:
            # Entered before the class's own override_settings (in super().setUpClass()), so an
            # explicit override of SMS_BACKEND on the class still applies on top of this one.
            from django.test.utils import override_settings

            cls.enterClassContext(override_settings(SMS_BACKEND=TEST_BACKEND))  # type: ignore[attr-defined]
        super().setUpClass()  # type: ignore[misc]

    @classmethod
    def _pre_setup(cls) -> None:
        import django_letsads

        super()._pre_setup()  # type: ignore[misc]
        django_letsads.outbox.clear()
