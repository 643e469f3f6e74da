"""Claimed messages into requests: one sender and text per request, a number once in it."""

from __future__ import annotations

from collections.abc import Sequence

from django_letsads.worker.claimed import Claimed

Batch = tuple[str, str, list[Claimed]]  # sender, text, messages


def make_batches(messages: Sequence[Claimed], size: int) -> list[Batch]:
    """Group messages with the same sender and text into batches of at most ``size``.

    A recipient appears at most once per batch: two separate messages to the same number (two
    ``send_sms`` calls) are two requests, each with its own gateway id.
    """
    batches: list[Batch] = []
    open_batches: dict[tuple[str, str, int], list[Claimed]] = {}
    layers: dict[tuple[str, str, str], int] = {}
    for message in messages:
        _, recipient, _, sender, text = message
        key = (sender, text, recipient)
        layer = layers.get(key, 0)
        layers[key] = layer + 1
        current = open_batches.get((sender, text, layer))
        if current is None or len(current) >= size:
            current = open_batches[(sender, text, layer)] = []
            batches.append((sender, text, current))
        current.append(message)
    return batches
