"""Attached images made fit for a vision model: decoded and checked with Pillow, scaled down when larger than
``IMAGE_MAX_SIDE``, a ``data:`` URL, and their prompt tokens by OpenAI's rule.

OpenAI's rule (detail ``high``, the worst case, which is what a reservation must count): the image is
scaled to fit 2,048 × 2,048, then so that its shorter side is at most 768; it costs 85 tokens plus 170 per
512-pixel tile (``detail: low``: 85 in all).
"""

from __future__ import annotations

import base64
import io
import math

from core.files.values import FileUnavailable
from core.llm_types import ImagePart

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000  # decoding more (a "decompression bomb") is refused before it happens
BASE_TOKENS, TILE_TOKENS, TILE_SIDE = 85, 170, 512


def image_tokens(width: int, height: int, *, detail: str = "high") -> int:
    """The prompt tokens of one image by OpenAI's rule."""
    if detail == "low" or width <= 0 or height <= 0:
        return BASE_TOKENS
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    return BASE_TOKENS + TILE_TOKENS * math.ceil(width / TILE_SIDE) * math.ceil(height / TILE_SIDE)


def prepare_image(data: bytes, *, name: str, max_side: int) -> tuple[ImagePart, bool]:
    """The image as a part for the model, and whether it was scaled down. Blocking: call it in a thread.

    Raises FileUnavailable (with the reason) for bytes that are no PNG, JPEG, GIF or WebP, or too many pixels.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            if kind not in FORMATS:
                raise FileUnavailable("it is not a PNG, JPEG, GIF or WebP image")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise FileUnavailable(f"{width:,} × {height:,} pixels is more than I can scale down")
            animated = bool(getattr(image, "is_animated", False))
            scaled = max(width, height) > max_side
            if not scaled and not animated:
                image.load()  # a damaged file fails here, not at the model
                body, mime = data, FORMATS[kind]
            else:
                image.seek(0)
                frame = image.convert("RGBA" if _has_alpha(image) else "RGB")
                frame.thumbnail((max_side, max_side))
                width, height = frame.size
                body, mime = _encoded(frame)
    except FileUnavailable:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise FileUnavailable("it is not an image I can open") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise FileUnavailable("the image looks damaged") from None
    url = f"data:{mime};base64,{base64.b64encode(body).decode('ascii')}"
    return ImagePart(data_url=url, name=name, tokens=image_tokens(width, height)), scaled


def _has_alpha(image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _encoded(frame) -> tuple[bytes, str]:
    out = io.BytesIO()
    if frame.mode == "RGBA":
        frame.save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    frame.save(out, format="JPEG", quality=85)
    return out.getvalue(), "image/jpeg"
