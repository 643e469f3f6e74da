"""The API other apps call: ``send_sms``, ``SmsMessage`` and ``get_connection``.

Shaped like ``django.core.mail``: the backend comes from the ``SMS_BACKEND`` setting (read at
call time) unless a connection is passed, and a connection used as a context manager keeps one
HTTP session for many messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.text import TextInfo, analyze

if TYPE_CHECKING:
    from django_letsads.backends.base import BaseSmsBackend
    from django_letsads.results import SmsResult


def get_connection(
    backend: str | None = None,
    fail_silently: bool = False,
    *,
    using: str | None = None,
    **kwargs: Any,
) -> BaseSmsBackend:
    """An instance of ``backend`` (a dotted path) or of ``SMS_BACKEND``; ``kwargs`` go to it.

    ``using`` is the alias of the LetsAds account in ``settings.LETSADS`` (None: ``"default"``);
    one that is not configured raises ``LetsAdsConfigurationError`` naming the configured ones.
    """
    from django_letsads.backends.base import BaseSmsBackend
    from django_letsads.conf import letsads_settings

    path = backend or letsads_settings.BACKEND
    try:
        klass = import_string(path)
    except ImportError as exc:
        raise LetsAdsConfigurationError(f"SMS backend {path!r} cannot be imported: {exc}") from exc
    if not (isinstance(klass, type) and issubclass(klass, BaseSmsBackend)):
        raise LetsAdsConfigurationError(f"SMS backend {path!r} is not a BaseSmsBackend subclass.")
    if using is not None:
        kwargs["using"] = using
    return klass(fail_silently=fail_silently, **kwargs)


def _type_name(value: object) -> str:
    return type(value).__name__


def _checked_arguments(text: object, recipients: object, sender: object) -> list[str]:
    """Refuse wrong types at the door, naming the argument; the recipients as a list.

    Without this a ``bytes`` text or an ``int`` sender failed deep inside the backend with an
    ``AttributeError``. Numbers in a list may be integers (``[380501234567]``), as before.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {_type_name(text)}.")
    if sender is not None and not isinstance(sender, str):
        raise TypeError(f"sender must be a str or None, not {_type_name(sender)}.")
    if isinstance(recipients, str):
        return [recipients]
    if isinstance(recipients, bytes | bytearray) or not isinstance(recipients, Iterable):
        raise TypeError(
            f"recipients must be a str or an iterable of str, not {_type_name(recipients)}."
        )
    out = []
    for recipient in recipients:
        if not isinstance(recipient, str | int) or isinstance(recipient, bool):
            raise TypeError(
                f"recipients must hold phone numbers as str, not {_type_name(recipient)}."
            )
        out.append(str(recipient))
    return out


def _check_using(using: object, connection: BaseSmsBackend | None) -> None:
    if using is not None and not isinstance(using, str):
        raise TypeError(f"using must be an account alias (str) or None, not {_type_name(using)}.")
    if (
        using is not None
        and connection is not None
        and getattr(connection, "using", using) != using
    ):
        raise ValueError(
            f"using={using!r} but the connection sends with the account "
            f"{getattr(connection, 'using', None)!r}; pass one or the other."
        )


class SmsMessage:
    """One text from one sender to any number of recipients.

    ``recipients`` may be one string or an iterable of them, in any common phone format.
    ``sender`` defaults to ``LETSADS["SENDER"]`` of the account. ``using`` names the account
    (an alias of ``settings.LETSADS``) when no ``connection`` is given. After :meth:`send`,
    ``results`` holds one :class:`~django_letsads.results.SmsResult` per recipient, in order.
    """

    def __init__(
        self,
        text: str,
        recipients: str | Iterable[str],
        sender: str | None = None,
        connection: BaseSmsBackend | None = None,
        *,
        respect_opt_out: bool = False,
        using: str | None = None,
    ) -> None:
        self.recipients = _checked_arguments(text, recipients, sender)
        _check_using(using, connection)
        #: The account alias to send with (None: the connection's, or ``"default"``).
        self.using = using
        self.text = text
        self.sender = sender
        self.connection = connection
        #: Leave out numbers on the stop list (``cancelled``, ``OPTED_OUT``); off by default,
        #: since most messages sent from code are transactional (codes, receipts).
        self.respect_opt_out = respect_opt_out
        self.results: list[SmsResult] | None = None

    def __repr__(self) -> str:
        return (
            f"<SmsMessage sender={self.sender!r} recipients={len(self.recipients)} "
            f"text={self.text[:20]!r}>"
        )

    @property
    def info(self) -> TextInfo:
        """Encoding, length and segments of the text as the gateway counts them."""
        return analyze(self.text)

    @property
    def encoding(self) -> str:
        """``"GSM-7"`` or ``"UCS-2"``."""
        return self.info.encoding

    @property
    def segments(self) -> int:
        """Parts each recipient receives (and is billed for)."""
        return self.info.segments

    @property
    def length(self) -> int:
        """Length as the gateway counts it against its limits."""
        return self.info.length

    def get_connection(self, fail_silently: bool = False) -> BaseSmsBackend:
        if self.connection is None:
            self.connection = get_connection(fail_silently=fail_silently, using=self.using)
        return self.connection

    def send(self, fail_silently: bool = False) -> list[SmsResult]:
        """Send through the message's connection (or ``SMS_BACKEND``); the results, in order.

        Raises :class:`~django_letsads.exceptions.SmsValidationError` for a bad text or sender and
        the gateway's :class:`~django_letsads.exceptions.AccountError` (after recording results),
        unless ``fail_silently``. Bad numbers never raise: they get ``failed`` results.
        """
        if not self.recipients:
            self.results = []
            return []
        self.get_connection(fail_silently).send_messages([self])
        return list(self.results or [])


def send_sms(
    text: str,
    recipients: str | Iterable[str],
    *,
    sender: str | None = None,
    fail_silently: bool = False,
    connection: BaseSmsBackend | None = None,
    respect_opt_out: bool = False,
    using: str | None = None,
) -> list[SmsResult]:
    """Send ``text`` to ``recipients``; one result per input recipient, in input order.

    ``using`` sends with another account of ``settings.LETSADS`` than ``"default"``.

    Duplicates (after normalisation) are sent once and their results say ``duplicate=True``.
    With ``respect_opt_out=True`` numbers on the stop list are not sent to: their results are
    ``cancelled`` with ``error_code="OPTED_OUT"``.
    """
    message = SmsMessage(
        text,
        recipients,
        sender=sender,
        connection=connection,
        respect_opt_out=respect_opt_out,
        using=using,
    )
    return message.send(fail_silently)
