"""The outbox's channels: each sends one kind of message and says how a try went."""
