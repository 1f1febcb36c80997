"""Feedback on answers: 👍 / 👎 per person per answer, an optional comment, and the admins' counts.

- ``values``: what an answer and a vote are (no message text: only who, where, persona, model);
- ``recording``: an answer noted when it is stored, a click recorded (once per person per answer;
  a second click changes it), a 👎's comment;
- ``admin``: ``/parley feedback`` (counts by persona and model over 7 and 30 days, latest comments);
- ``texts``: what people are told.  The store is the ``FeedbackStore`` port (``core/storage/feedback.py``).
"""
