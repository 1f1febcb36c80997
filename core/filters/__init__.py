"""Content filters: the ContentFilter port's implementation (``FilterPipeline``) and its parts.

- ``pii``: e-mail, phone, card (Luhn), IBAN (mod 97) and secrets → typed placeholders;
- ``blocklist``: words, phrases and time-limited regular expressions, block or redact;
- ``moderation`` (the port) and ``openai_moderation`` (the ``openai`` client);
- ``policy``: the settings' defaults and each workspace's own choices;
- ``pipeline``: the order they run in, per direction, and the decisions recorded;
- ``admin``: ``/parley filter …``; ``texts``: what people are told.
"""
