"""One outbox for everything the service sends: webhook events and emails.

A message is a row written in the same transaction as the change it announces, so it exists
if and only if that change was stored. Workers claim due rows with a lease (FOR UPDATE SKIP
LOCKED on PostgreSQL), hand each to its channel (`channels/webhook.py`, `channels/email.py`),
record every try, and back off; a channel tells a permanent failure (stop) from a transient
one (try again). Delivery is at least once: a worker that dies mid-send leaves its row to be
tried again when the lease ends.
"""
