"""Signals around sending. Receivers are ordinary Django signal receivers.

``pre_send(sender=<backend class>, message=<SmsMessage>, backend=<backend>)``
    Sent for each message before it is validated and sent. A receiver may change the message in
    place (``message.text``, ``message.recipients``, ``message.sender``) — validation runs after
    it — or cancel the message by raising :class:`CancelSend`; a cancelled message makes no
    request and every recipient's result is ``cancelled``.

``post_send(sender=<backend class>, message=<SmsMessage>, results=<list[SmsResult]>, backend=…)``
    Sent for each message once its results are known (also for cancelled messages and before an
    account error is raised).

``status_changed(sender=Message, message=<Message>, old_status=<str>, new_status=<str>, code=<str>)``
    Sent by the outbox worker, the poller and admin actions when a stored message changes status,
    after the transaction commits. ``code`` is the gateway's code (``MESSAGE_IS_DELIVERED``,
    ``NOT_ENOUGH_MONEY`` …) or ``""``. No cost when nothing is connected.

``work_queued(sender=Message, kind=<"send" | "poll">)``
    Sent after commit when a person's action gives the worker something to do (a campaign
    started or resumed, unknown messages resent, statuses to poll now). The task integration
    (:mod:`django_letsads.tasks`) listens to it, so that the services need not import the worker.
"""

from __future__ import annotations

from django.dispatch import Signal

pre_send = Signal()
post_send = Signal()
status_changed = Signal()
work_queued = Signal()


class CancelSend(Exception):
    """Raise from a ``pre_send`` receiver to cancel that message. ``reason`` ends up in results."""

    def __init__(self, reason: str = "cancelled by a pre_send receiver") -> None:
        super().__init__(reason)
        self.reason = reason
