"""The studio's own settings: what an author changes on the Settings page.

They are kept as versions of one JSON document in the store, so every studio
process (and every worker it starts) sees the same choices, and the environment
stays the default for anything the author never changed. Secrets are never
among them: keys are read from the environment by the backends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from pydantic import ValidationError

from coauthor.settings import Settings
from coauthor.store import Store

STUDIO_SETTINGS = "studio-settings"
EDITABLE = (
    "model",
    "repair_rounds",
    "sandbox_cpu_seconds",
    "sandbox_memory_mb",
    "sandbox_wall_seconds",
)
SECRET_VARIABLES = ("OPENAI_API_KEY", "COAUTHOR_API_KEY", "NOTION_TOKEN")


class StudioSettingsError(ValueError):
    """A value the author entered is not a valid setting; the message names it."""


def studio_overrides(store: Store) -> dict[str, object]:
    """The values saved on the Settings page (only the editable ones)."""
    saved = store.document(STUDIO_SETTINGS)
    if saved is None:
        return {}
    try:
        data = json.loads(saved.text)
    except json.JSONDecodeError:
        return {}
    return {key: data[key] for key in EDITABLE if isinstance(data, dict) and key in data}


def studio_settings(store: Store, base: Settings) -> Settings:
    """``base`` (from the environment) with the studio's saved values on top.

    A saved value that is no longer valid (a bound changed) is ignored rather than
    locking the author out of the studio.
    """
    merged = base
    for key, value in studio_overrides(store).items():
        try:
            merged = _with(merged, {key: value})
        except StudioSettingsError:
            continue
    return merged


def save_studio_settings(
    store: Store, base: Settings, *, values: Mapping[str, object], note: str = ""
) -> Settings:
    """Validate ``values`` against the settings' bounds, then save them as a new version."""
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise StudioSettingsError(f"these settings cannot be changed in the studio: {unknown}")
    if "model" in values:
        values = {**values, "model": str(values["model"]).strip()}
        if not values["model"]:
            raise StudioSettingsError("the model cannot be empty; use e.g. 'local'")
    merged = _with(base, {**studio_overrides(store), **values})
    kept = {key: getattr(merged, key) for key in EDITABLE}
    store.save_document(STUDIO_SETTINGS, json.dumps(kept, sort_keys=True), note=note)
    return merged


def _with(base: Settings, values: Mapping[str, object]) -> Settings:
    data = {**base.model_dump(), **values}
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise StudioSettingsError(f"invalid {name.replace('_', ' ')}: {first['msg']}") from None
