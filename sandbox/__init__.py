"""Local stand-ins for every outside party, mounted under ``/sandbox/`` in sandbox mode.

Each speaks its party's real protocol, so product code reaches it through the real SDK or
client with only the gateway address changed. The hooks (``/sandbox/...`` in our own JSON
shape) act as the resident or the party itself: paying, accepting a subscription, failing.
"""
