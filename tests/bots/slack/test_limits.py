"""Rate limits seen from Slack: the refusal is short and private; exempted admins pass."""

from __future__ import annotations

import pytest

from tests.bots.slack import payloads
from tests.bots.slack.payloads import ADA, GRACE


@pytest.fixture
def settings_overrides():
    return {"rate_limit_user": "1/minute", "rate_limit_exempt_admins": True}


async def test_a_limited_member_is_told_privately_and_an_exempted_workspace_admin_is_not(parley, slack, llm):
    for _ in range(2):
        await parley.deliver(payloads.app_mention(f"<@{payloads.BOT_USER}> hi", user=ADA))
    for _ in range(2):
        await parley.deliver(payloads.app_mention(f"<@{payloads.BOT_USER}> hi", user=GRACE))  # a workspace admin
    await parley.handled(4)
    assert len(llm.chat_requests) == 3  # Ada once, Grace twice
    (refusal,) = slack.notes_for(ADA)  # seen by Ada, and by nobody else
    assert "limit of 1 per minute" in refusal and slack.notes_for(GRACE) == []
