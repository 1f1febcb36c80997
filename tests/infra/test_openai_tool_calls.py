"""Tool calling through the real openai client: the provider streams a call assembled from its deltas and
sends tool messages as OpenAI expects; the stand-in refuses what OpenAI refuses."""

from __future__ import annotations

import json

import pytest

from core.llm.openai_provider import OpenAIProvider
from core.llm_types import ChatMessage, CompletionRequest, LLMRejected, ToolCall, ToolSpec
from core.messages import Usage
from tests.standins.openai_server import CallTools, OpenAIStandIn, Reply

ADD = ToolSpec(name="calc__add", description="Add two numbers.",
               parameters={"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}})


@pytest.fixture
async def provider():
    async with OpenAIStandIn() as server:
        llm = OpenAIProvider(api_key="sk-test", base_url=server.base_url, timeout=5, max_retries=0)
        yield llm, server
        await llm.close()


async def collect(llm, request):
    return [piece async for piece in llm.stream(request)]


async def test_a_call_is_assembled_and_its_answer_goes_back_as_a_tool_message(provider):
    llm, server = provider
    server.script(CallTools((("calc__add", {"a": 1, "b": 2}),), usage=(12, 3)), Reply("3"))
    asked = (ChatMessage("user", "1 + 2?"),)

    [call, usage] = await collect(llm, CompletionRequest(model="m", messages=asked, tools=(ADD,)))
    assert isinstance(call, ToolCall) and call.name == "calc__add" and json.loads(call.arguments) == {"a": 1, "b": 2}
    assert usage == Usage(12, 3)

    follow_up = asked + (ChatMessage("assistant", "", tool_calls=(call,)), ChatMessage("tool", "3", tool_call_id=call.id))
    pieces = await collect(llm, CompletionRequest(model="m", messages=follow_up, tools=(ADD,)))
    assert "".join(p for p in pieces if isinstance(p, str)) == "3"
    sent = server.chat_requests[1].json
    assert sent["messages"][1]["tool_calls"][0]["function"] == {"name": "calc__add", "arguments": call.arguments}
    assert sent["messages"][2] == {"role": "tool", "content": "3", "tool_call_id": call.id}
    assert sent["tool_choice"] == "auto" and "tools" not in server.chat_requests[0].json["messages"][0]


@pytest.mark.parametrize("messages, tools", [
    ((ChatMessage("user", "hi"), ChatMessage("tool", "3", tool_call_id="call_nobody_made")), ()),
    ((ChatMessage("user", "hi"), ChatMessage("assistant", "", tool_calls=(ToolCall("c1", "calc__add", "{}"),)),
      ChatMessage("user", "and?")), (ADD,)),
    ((ChatMessage("user", "hi"),), (ToolSpec(name="calc.add", description="", parameters={}),)),
])
async def test_the_stand_in_refuses_what_openai_refuses(provider, messages, tools):
    llm, server = provider
    with pytest.raises(LLMRejected):
        await collect(llm, CompletionRequest(model="m", messages=messages, tools=tools))
