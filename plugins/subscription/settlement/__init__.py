"""Deals and settlement of a subscription (seed 004, S-10..S-12): the deals formed from the satisfied
register and the registration orders to the CD, net (with CCP) or gross clearing, the CD's settlement
or refusal of a buyer's deals, exchange certificates, the results (form S-A3) and their publication,
and the penalties for failed deals without CCP."""
