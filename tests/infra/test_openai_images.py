"""Images through the real openai client: image parts as the API takes them, refused by a model that takes
none, and counted by the tile rule when the server reports no usage."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.files.images import prepare_image
from core.llm.complete import complete
from core.llm.openai_provider import OpenAIProvider
from core.llm_types import ChatMessage, CompletionRequest, LLMRejected
from tests.sample_files import png
from tests.standins.openai_server import NoUsage, OpenAIStandIn


@pytest.fixture
async def served() -> AsyncIterator[tuple[OpenAIStandIn, OpenAIProvider]]:
    async with OpenAIStandIn() as server:
        provider = OpenAIProvider(api_key="sk-test", base_url=server.base_url, timeout=5, max_retries=0)
        yield server, provider
        await provider.close()


def with_image(model: str) -> CompletionRequest:
    image, _ = prepare_image(png(1024, 1024), name="square.png", max_side=2048)
    return CompletionRequest(model=model, messages=(
        ChatMessage("system", "Describe."), ChatMessage("user", "what is it?", images=(image,)),
    ))


async def test_an_image_goes_as_parts_and_is_counted_by_the_tile_rule_without_server_usage(served):
    server, provider = served
    server.script(NoUsage(text="a red square"))
    text, usage = await complete(provider, with_image("gpt-4o-mini"))
    assert text == "a red square"
    system, user = server.chat_requests[0].json["messages"]
    assert system == {"role": "system", "content": "Describe."}
    assert [part["type"] for part in user["content"]] == ["text", "image_url"]
    assert user["content"][1]["image_url"]["detail"] == "auto"
    assert usage.prompt_tokens >= 765  # 85 + 170 × 4 tiles for 1024 × 1024, plus the text


async def test_a_model_that_takes_no_images_is_refused_by_the_server(served):
    server, provider = served
    with pytest.raises(LLMRejected):
        await complete(provider, with_image("gpt-3.5-turbo"))
    assert len(server.chat_requests) == 1
