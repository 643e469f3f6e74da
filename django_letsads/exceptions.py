"""One exception tree for everything that can go wrong talking to LetsAds.

::

    LetsAdsError                        base of every runtime error; has .code and .maybe_sent
    ├── GatewayError                    the gateway answered <name>Error</name>
    │   ├── AccountError                the account cannot send now: stop the whole run
    │   │   ├── AuthError               AUTH_DATA
    │   │   ├── ApiDisabledError        API_DISABLED
    │   │   ├── NotModeratedError       USER_NOT_MODERATED
    │   │   ├── SenderError             INCORRECT_FROM, INVALID_FROM
    │   │   ├── NotEnoughMoneyError     NOT_ENOUGH_MONEY
    │   │   └── GatewayRedirectError    API_URL answers with a redirect (also a configuration error)
    │   ├── RequestRejectedError        the request itself was refused; nothing was sent
    │   │   ├── MalformedRequestError   NO_DATA, WRONG_DATA_FORMAT, REQUEST_FORMAT
    │   │   ├── MessageTooLongError     MESSAGE_TOO_LONG
    │   │   ├── NoMessageError          NO_MESSAGE
    │   │   └── MaxMessagesCountError   MAX_MESSAGES_COUNT
    │   ├── IncorrectRecipientError     INCORRECT_RECIPIENT_<n>: .recipient; nothing was sent
    │   ├── MessageNotExistError        MESSAGE_NOT_EXIST
    │   └── UnknownGatewayError         UNKNOWN_ERROR, and any code this list does not know
    ├── TransportError                  no valid answer; .maybe_sent says if the gateway may have acted
    │   ├── GatewayUnreachableError     connection refused, DNS failure: provably not sent
    │   ├── GatewayTimeoutError         no answer in time: may have been sent
    │   └── BadResponseError            non-200, HTML, empty, cut-off, hostile or inconsistent answer
    └── SmsValidationError              our own checks refused the input before any request
        ├── InvalidTextError            empty, too long, or characters XML cannot carry
        ├── InvalidSenderError          sender name the gateway cannot accept
        └── InvalidRecipientError       not a phone number

``LetsAdsConfigurationError`` subclasses Django's ``ImproperlyConfigured`` and deliberately stands
outside this tree, so ``fail_silently`` can never hide a misconfiguration. The one exception that
is both, ``GatewayRedirectError``, is a misconfiguration met at run time: as an ``AccountError`` it
stops a worker's run and pauses its campaigns, as a configuration error it is never hidden.

No exception here ever holds the account password.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class LetsAdsError(Exception):
    """Base of every runtime error of this package.

    ``code`` is the gateway's code (``"AUTH_DATA"``) or one of ours (``"TIMEOUT"``, ``"HTTP_502"``,
    ``"INVALID_NUMBER"`` …). ``maybe_sent`` is True when the gateway may have queued (and billed)
    the messages of the request despite the error; such messages must never be resent automatically.
    """

    default_code = "LETSADS_ERROR"
    maybe_sent = False

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        self.code = code or self.default_code
        self.message = message or self.code
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


# ---------------------------------------------------------------------------------------------
# The gateway answered with an error code.


class GatewayError(LetsAdsError):
    """The gateway answered ``<name>Error</name>``; ``code`` is its ``<description>``."""

    default_code = "UNKNOWN_ERROR"


class AccountError(GatewayError):
    """The account cannot send at all right now; a worker stops its run on these."""


class AuthError(AccountError):
    default_code = "AUTH_DATA"


class ApiDisabledError(AccountError):
    default_code = "API_DISABLED"


class NotModeratedError(AccountError):
    default_code = "USER_NOT_MODERATED"


class SenderError(AccountError):
    """``INCORRECT_FROM`` (malformed) or ``INVALID_FROM`` (not registered for the account)."""

    default_code = "INVALID_FROM"


class NotEnoughMoneyError(AccountError):
    default_code = "NOT_ENOUGH_MONEY"


class RequestRejectedError(GatewayError):
    """The gateway refused this request as a whole; none of its messages was sent."""


class MalformedRequestError(RequestRejectedError):
    """``NO_DATA``, ``WRONG_DATA_FORMAT`` or ``REQUEST_FORMAT``: a bug on our side, never the user's."""

    default_code = "WRONG_DATA_FORMAT"


class MessageTooLongError(RequestRejectedError):
    default_code = "MESSAGE_TOO_LONG"


class NoMessageError(RequestRejectedError):
    default_code = "NO_MESSAGE"


class MaxMessagesCountError(RequestRejectedError):
    default_code = "MAX_MESSAGES_COUNT"


class IncorrectRecipientError(GatewayError):
    """``INCORRECT_RECIPIENT_<n>``: ``recipient`` is ``<n>``; nothing of the request was sent."""

    default_code = "INCORRECT_RECIPIENT"

    def __init__(self, message: str = "", *, code: str | None = None, recipient: str = "") -> None:
        super().__init__(message, code=code)
        self.recipient = recipient


class MessageNotExistError(GatewayError):
    default_code = "MESSAGE_NOT_EXIST"


class UnknownGatewayError(GatewayError):
    """``UNKNOWN_ERROR`` or a code we do not know.

    The gateway failed for a reason it does not state, so we cannot prove that nothing was queued:
    messages of such a send request are ``unknown``, never resent automatically.
    """

    default_code = "UNKNOWN_ERROR"
    maybe_sent = True


#: Gateway code → exception class. ``INCORRECT_RECIPIENT_<n>`` is matched by prefix.
GATEWAY_ERRORS: dict[str, type[GatewayError]] = {
    "NO_DATA": MalformedRequestError,
    "WRONG_DATA_FORMAT": MalformedRequestError,
    "REQUEST_FORMAT": MalformedRequestError,
    "AUTH_DATA": AuthError,
    "API_DISABLED": ApiDisabledError,
    "USER_NOT_MODERATED": NotModeratedError,
    "INCORRECT_FROM": SenderError,
    "INVALID_FROM": SenderError,
    "MESSAGE_TOO_LONG": MessageTooLongError,
    "NO_MESSAGE": NoMessageError,
    "MAX_MESSAGES_COUNT": MaxMessagesCountError,
    "NOT_ENOUGH_MONEY": NotEnoughMoneyError,
    "MESSAGE_NOT_EXIST": MessageNotExistError,
    "UNKNOWN_ERROR": UnknownGatewayError,
}

INCORRECT_RECIPIENT_PREFIX = "INCORRECT_RECIPIENT_"


def error_for_code(code: str) -> GatewayError:
    """Build the exception for a gateway error code (the ``<description>`` of an ``Error``)."""
    code = code.strip()
    if code.startswith(INCORRECT_RECIPIENT_PREFIX):
        recipient = code[len(INCORRECT_RECIPIENT_PREFIX) :]
        return IncorrectRecipientError(
            f"The gateway rejected recipient {recipient!r}; nothing in the request was sent.",
            code=code,
            recipient=recipient,
        )
    cls = GATEWAY_ERRORS.get(code, UnknownGatewayError)
    return cls(f"LetsAds answered with error {code or '(empty code)'}.", code=code or None)


# ---------------------------------------------------------------------------------------------
# No usable answer.


class TransportError(LetsAdsError):
    """No valid answer came back. ``maybe_sent`` is False only when the request provably never left."""

    default_code = "TRANSPORT_ERROR"

    def __init__(self, message: str = "", *, code: str | None = None, maybe_sent: bool = True):
        super().__init__(message, code=code)
        self.maybe_sent = maybe_sent


class GatewayUnreachableError(TransportError):
    """Connection refused or the host could not be resolved: the gateway never saw the request."""

    default_code = "UNREACHABLE"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message, code=code, maybe_sent=False)


class GatewayTimeoutError(TransportError):
    """The request left but no answer arrived in time."""

    default_code = "TIMEOUT"


class BadResponseError(TransportError):
    """An answer came, but it is not a LetsAds answer we can trust (status, body, XML or content)."""

    default_code = "BAD_RESPONSE"


# ---------------------------------------------------------------------------------------------
# Our own checks, before any money is spent.


class SmsValidationError(LetsAdsError, ValueError):
    """The input cannot be sent as it is; no request was made."""

    default_code = "INVALID_INPUT"


class InvalidTextError(SmsValidationError):
    default_code = "INVALID_TEXT"


class InvalidSenderError(SmsValidationError):
    default_code = "INVALID_SENDER"


class InvalidRecipientError(SmsValidationError):
    default_code = "INVALID_NUMBER"


# ---------------------------------------------------------------------------------------------


class LetsAdsConfigurationError(ImproperlyConfigured):
    """Settings are missing or wrong. Not a LetsAdsError: ``fail_silently`` never hides it."""


class GatewayRedirectError(LetsAdsConfigurationError, AccountError):
    """``API_URL`` answered with a redirect the client does not follow (see ``redirects.py``).

    ``code`` is ``HTTP_<status>``; ``location`` the redirect's target (password removed);
    ``maybe_sent`` is False except for a 303, the answer of a server that acted on the request.
    """

    default_code = "REDIRECT"

    def __init__(
        self, message: str = "", *, code: str | None = None, location: str = "", maybe_sent: bool
    ) -> None:
        super().__init__(message, code=code)
        self.location = location
        self.maybe_sent = maybe_sent
