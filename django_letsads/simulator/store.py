"""The fake gateway's message store: parallel arrays, about 20 bytes a message.

A million messages fit in a few tens of megabytes because there is no object per message: index
``i`` of each array holds message ``first_id + i``, and the (login, sender, text) of a send
request is kept once for all its recipients. Not thread-safe: :class:`Gateway` holds its lock.
"""

from __future__ import annotations

from array import array


class MessageStore:
    """The queued messages, by index (``sms_id - first_id``)."""

    def __init__(self, first_id: int) -> None:
        self.first_id = first_id
        self._recipient = array("q")
        self._recipient_len = array("B")
        self._sent_at = array("d")
        self._batch = array("I")
        self._batches: list[tuple[str, str, str]] = []  # (login, sender, text) per send request

    def __len__(self) -> int:
        return len(self._recipient)

    @property
    def batch_count(self) -> int:
        """How many send requests stored messages."""
        return len(self._batches)

    def append(
        self, login: str, sender: str, text: str, recipients: tuple[str, ...], now: float
    ) -> tuple[int, ...]:
        """Store one send request's messages, sent at ``now``; their gateway ids."""
        start = self.first_id + len(self._recipient)
        batch = len(self._batches)
        self._batches.append((login, sender, text))
        for recipient in recipients:
            self._recipient.append(int(recipient))
            self._recipient_len.append(len(recipient))
            self._sent_at.append(now)
            self._batch.append(batch)
        return tuple(range(start, start + len(recipients)))

    def index(self, sms_id: str | int) -> int | None:
        """The index of message ``sms_id``, or None when there is no such message."""
        try:
            index = int(sms_id) - self.first_id
        except ValueError:
            return None
        return index if 0 <= index < len(self._recipient) else None

    def recipient_at(self, index: int) -> str:
        return str(self._recipient[index]).zfill(self._recipient_len[index])

    def sent_at(self, index: int) -> float:
        return self._sent_at[index]

    def batch_at(self, index: int) -> tuple[str, str, str]:
        """(login, sender, text) of the send request that stored message ``index``."""
        return self._batches[self._batch[index]]

    def count_recipient(self, recipient: str) -> int:
        """How many stored messages went to ``recipient``."""
        if not recipient.isdigit():
            return 0
        value, length = int(recipient), len(recipient)
        if not self._recipient.count(value):  # a scan in C; the loop below runs rarely
            return 0
        lengths = self._recipient_len
        return sum(
            1
            for index, stored in enumerate(self._recipient)
            if stored == value and lengths[index] == length
        )
