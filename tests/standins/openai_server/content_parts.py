"""Message content as the chat completions API checks it: a string, or a list of content parts.

What the real API refuses with a 400 ``invalid_request_error``, the stand-in refuses too:
- a part that is not an object with a known ``type``; a ``text`` part without a string ``text``;
- an ``image_url`` part in a message whose role is not ``user`` (system, assistant and tool content takes
  text parts only), or sent to a model that takes no images (``vision_models``);
- an ``image_url`` whose ``url`` is neither http(s) nor a ``data:image/{png,jpeg,gif,webp};base64,`` URL
  with valid base64, over 20 MB decoded, or a ``detail`` other than auto, low or high
  (``invalid_image_format`` / ``invalid_value``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection
from typing import Any

from aiohttp import web

IMAGE_TYPES = ("png", "jpeg", "gif", "webp")
MAX_IMAGE_BYTES = 20 * 1024 * 1024
_DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,(.*)$", re.DOTALL)
UNSUPPORTED_IMAGE = (
    "You uploaded an unsupported image. Please make sure your image is below 20 MB in size and is of one the "
    "following formats: ['png', 'jpeg', 'gif', 'webp']."
)


def content_problem(body: dict[str, Any], *, vision_models: Collection[str]) -> web.Response | None:
    """The 400 the API would answer for the messages' content, or None when it is acceptable."""
    model = str(body.get("model") or "")
    for i, message in enumerate(body.get("messages") or []):
        content = message.get("content") if isinstance(message, dict) else None
        if content is None or isinstance(content, str):
            continue
        if not isinstance(content, list):
            return _invalid(f"Invalid type for 'messages[{i}].content'.", f"messages.[{i}].content", "invalid_type")
        for j, part in enumerate(content):
            where = f"messages.[{i}].content.[{j}]"
            problem = _part_problem(part, role=message.get("role"), model=model, vision_models=vision_models, where=where)
            if problem is not None:
                return problem
    return None


def _part_problem(part: Any, *, role: Any, model: str, vision_models: Collection[str], where: str) -> web.Response | None:
    if not isinstance(part, dict) or part.get("type") not in ("text", "image_url"):
        return _invalid(f"Invalid value: '{_kind(part)}'. Supported values are: 'text' and 'image_url'.",
                        f"{where}.type", "invalid_value")
    if part["type"] == "text":
        if not isinstance(part.get("text"), str):
            return _invalid(f"Missing required parameter: '{where}.text'.", f"{where}.text", "missing_required_parameter")
        return None
    if role != "user":
        return _invalid(f"Image URLs are only allowed for messages with role 'user', but this message with role "
                        f"'{role}' contains an image URL.", where, "invalid_value")
    if model not in vision_models:
        return _invalid("Invalid content type. image_url is only supported by certain models.", f"{where}.type", None)
    image = part.get("image_url")
    if not isinstance(image, dict) or not isinstance(image.get("url"), str):
        return _invalid(f"Missing required parameter: '{where}.image_url.url'.", f"{where}.image_url.url",
                        "missing_required_parameter")
    if image.get("detail", "auto") not in ("auto", "low", "high"):
        return _invalid(f"Invalid value: '{image.get('detail')}'. Supported values are: 'auto', 'low', and 'high'.",
                        f"{where}.image_url.detail", "invalid_value")
    url = image["url"]
    if url.startswith(("http://", "https://")):
        return None
    match = _DATA_URL.match(url)
    if match is None:
        return _invalid(UNSUPPORTED_IMAGE, None, "invalid_image_format")
    try:
        decoded = base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        return _invalid("Invalid base64 image_url.", f"{where}.image_url.url", "invalid_image_url")
    if len(decoded) > MAX_IMAGE_BYTES:
        return _invalid(UNSUPPORTED_IMAGE, None, "invalid_image_format")
    return None


def _kind(part: Any) -> str:
    return str(part.get("type")) if isinstance(part, dict) else type(part).__name__


def _invalid(message: str, param: str | None, code: str | None) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}, status=400
    )
