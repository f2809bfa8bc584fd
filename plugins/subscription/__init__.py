"""Subscription to securities through the Exchange (seed 004): registered now, its module lands with
the subscription issue. It implements no hooks yet, so it contributes nothing to any page."""
