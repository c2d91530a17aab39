"""Choosing a model with one string, such as ``COAUTHOR_MODEL=openai:gpt-4o-mini``.

Built-in backends register through the same function a plugin would use, so a
new backend is one ``register_backend`` call and needs no change here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from coauthor.llm.base import Capabilities, Model, ModelUnavailableError
from coauthor.llm.local import LocalModel
from coauthor.llm.openai_backend import (
    LLAMA_CPP,
    OPENAI,
    OpenAIModel,
    Profile,
    key_in_environment,
)
from coauthor.llm.transport import Timeouts
from coauthor.settings import Settings

Factory = Callable[[str, Settings], Model]

_factories: dict[str, Factory] = {}
_forms: dict[str, list[str]] = {}


def register_backend(prefix: str, factory: Factory, *, forms: list[str] | None = None) -> None:
    """Make ``PREFIX`` and ``PREFIX:ARG`` build a model; ``factory`` gets ``ARG``
    (empty without a colon) and the settings. ``forms`` are shown in errors."""
    if not prefix.isidentifier():
        raise ValueError(f"a backend prefix must be a plain word, not {prefix!r}")
    _factories[prefix] = factory
    _forms[prefix] = forms or [f"{prefix}:..."]


@contextmanager
def registered_backend(
    prefix: str, factory: Factory, *, forms: list[str] | None = None
) -> Iterator[None]:
    """``prefix`` builds models with ``factory`` inside the block only (tests, plugins tried
    out); whatever the prefix meant before is restored afterwards."""
    before = (_factories.get(prefix), _forms.get(prefix))
    register_backend(prefix, factory, forms=forms)
    try:
        yield
    finally:
        if before[0] is None:
            _factories.pop(prefix, None)
            _forms.pop(prefix, None)
        else:
            _factories[prefix], _forms[prefix] = before[0], before[1] or []


def accepted_forms() -> str:
    return ", ".join(form for forms in _forms.values() for form in forms)


def model_from_string(spec: str, settings: Settings) -> Model:
    """The model a spec names, with re-asks from the settings."""
    prefix, _, argument = spec.strip().partition(":")
    factory = _factories.get(prefix)
    if factory is None:
        raise ValueError(f"unknown model {spec!r}; use one of: {accepted_forms()}")
    model = factory(argument, settings)
    model.reasks = settings.reasks
    return model


def split_model_url(
    argument: str, spec: str, *, url_required: bool = False
) -> tuple[str, str | None]:
    """``MODEL`` or ``MODEL@http://host:port/v1`` as (model, url)."""
    at = max(argument.find("@http://"), argument.find("@https://"))
    name, url = (argument[:at], argument[at + 1 :]) if at >= 0 else (argument, None)
    if not name or "@" in name or (url_required and url is None):
        raise ValueError(f"malformed model {spec!r}; use one of: {accepted_forms()}")
    return name, url


def missing_key(spec: str) -> str | None:
    """Why ``spec`` cannot work before any request is sent: the real OpenAI (``openai:``
    without a server URL) with no API key in the environment. None when nothing is missing."""
    prefix, _, argument = spec.strip().partition(":")
    if prefix != "openai" or "@http" in argument or os.environ.get("OPENAI_BASE_URL"):
        return None
    if key_in_environment():
        return None
    return "OPENAI_API_KEY is not set; export it or choose another model"


# -- built-in backends -----------------------------------------------------------------
def _local(argument: str, settings: Settings) -> Model:
    if not argument:
        return LocalModel(None, settings)
    path = Path(argument).expanduser()
    if not path.is_file():
        raise ModelUnavailableError(
            f"model file {path} does not exist; give the path of a .gguf file in COAUTHOR_MODEL"
        )
    return LocalModel(path, settings)


def _openai(argument: str, settings: Settings) -> Model:
    name, url = split_model_url(argument, f"openai:{argument}")
    problem = missing_key(f"openai:{argument}")
    if problem is not None:
        raise ModelUnavailableError(problem)
    return _remote(name, url, settings, profile=OPENAI)


def _llamacpp(argument: str, settings: Settings) -> Model:
    name, url = split_model_url(argument, f"llamacpp:{argument}", url_required=True)
    return _remote(name, url, settings, profile=LLAMA_CPP)


def _remote(name: str, url: str | None, settings: Settings, *, profile: Profile) -> Model:
    return OpenAIModel(
        name,
        url,
        profile=profile,
        temperature=settings.temperature,
        seed=settings.seed,
        timeouts=Timeouts(connect=settings.connect_timeout, read=settings.read_timeout),
        max_retries=settings.max_retries,
        reasks=settings.reasks,
        capabilities=Capabilities(
            routing=True if settings.model_routing is None else settings.model_routing,
            context_tokens=settings.context_tokens,
        ),
    )


register_backend("local", _local, forms=["local", "local:/path/to/model.gguf"])
register_backend("openai", _openai, forms=["openai:MODEL", "openai:MODEL@http://host:port/v1"])
register_backend("llamacpp", _llamacpp, forms=["llamacpp:MODEL@http://host:port/v1"])
