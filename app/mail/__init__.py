"""Email: messages rendered from templates per kind and language, and the senders that deliver them.

A message is a kind (`invitation`, `reminder`, …) with a typed context and three templates
per language, `templates/<kind>/<locale>/{subject.txt, body.txt, body.html}`. Contexts carry
what a message may say and nothing more: never a score, a band, a flag or an answer.
Senders are SMTP (production) or a folder of `.eml` files (development: `make run` needs no
mail server); both take the same `Email` and raise `PermanentFailure` or `TransientFailure`.
"""
