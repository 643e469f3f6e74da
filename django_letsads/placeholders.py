"""The names every placeholder module shares: built-in fields and the code of a missing value.

At the bottom of the imports, so that the worker's side (:mod:`django_letsads.rendering`) and
the counting side (:mod:`django_letsads.bulk_rendering`, :mod:`django_letsads.personalisation`)
use one definition without importing each other.
"""

from __future__ import annotations

#: The message's signed unsubscribe link (:mod:`django_letsads.unsubscribe`).
UNSUBSCRIBE_URL = "unsubscribe_url"
#: Field names every message has, whatever its data (recipient data cannot override them).
FIELDS = (UNSUBSCRIBE_URL,)
#: ``Message.error_code`` of a recipient without a value for a placeholder that has no default.
MISSING_FIELD = "MISSING_FIELD"
