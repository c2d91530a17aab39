"""One configuration object, built at the edge (CLI, UI) and passed down."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    folder = user_data_path("coauthor", appauthor=False)
    return f"sqlite:///{folder / 'coauthor.db'}"


class ModelPrice(BaseModel):
    """What a model costs, in money units (e.g. USD) per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class Settings(BaseSettings):
    """Read from ``COAUTHOR_*`` variables. Secrets are not fields: backends read them
    from the environment when they connect, so they never travel with settings."""

    model_config = SettingsConfigDict(env_prefix="COAUTHOR_", extra="ignore")

    model: str = Field(default="local", description="local, local:PATH, openai:NAME[@URL], ...")
    database_url: str = Field(default_factory=default_database_url)
    master_document: Path | None = None
    reasks: int = Field(default=2, ge=0, le=5)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int = 42
    n_ctx: int = Field(default=8192, ge=2048)
    model_routing: bool | None = Field(
        default=None,
        description="Whether the model may decide unsure copilot intents and write free "
        "answers; default: the backend decides (an embedded model under 1B parameters may not)",
    )
    context_tokens: int = Field(
        default=32_768, ge=2048, description="Context window of a remote model, in tokens"
    )
    local_text_tokens: int = Field(
        default=450, ge=64, description="Cap on a plain-text (code) reply of the embedded model"
    )
    # Penalties measured with bench/sampling.py (README, "The embedded model's sampling
    # penalties"; rows in bench/results/sampling-*.jsonl). Tuning part (4 steps, solution
    # stage): no penalty parsed 3/4 against 1/4 at 1.1. Held-out part (3 steps, whole code
    # stage): no penalty 1/3 parse, 0/3 tests with >=3, 1/3 importable, 9 re-asks; 1.1:
    # 1/3, 1/3, 1/3, 4 re-asks. Not confirmed, so 1.1 / 0 stay; 1.3, or 1.2 with frequency
    # 0.3, cut the code short (solutions of 8 lines on average when tuning, 4 and 13 held out).
    local_repeat_penalty: float = Field(
        default=1.1,
        ge=1.0,
        le=2.0,
        description="llama.cpp's repeat penalty for the embedded model (1.0: off); "
        "measured with bench/sampling.py, see the README",
    )
    local_frequency_penalty: float = Field(
        default=0.0,
        ge=0.0,
        le=2.0,
        description="Frequency penalty for the embedded model (0: off); measured with "
        "bench/sampling.py, see the README",
    )
    connect_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to open a connection to a model server"
    )
    read_timeout: float = Field(
        default=20.0,
        gt=0,
        description="Seconds of silence allowed from a model server: before the first token "
        "and between two chunks (every request streams, so a long reply is never cut)",
    )
    max_retries: int = Field(default=3, ge=0, le=10)
    repair_rounds: int = Field(default=2, ge=0, le=5)
    exemplar_tokens: int = Field(
        default=600,
        ge=0,
        description="Tokens of an exemplar (a finished task) shown to each stage; 0: none",
    )
    mutants: int = Field(
        default=40, ge=0, le=200, description="Mutants of a step's solution run per check; 0: none"
    )
    mutation_threshold: float = Field(
        default=0.8, ge=0.0, le=1.0, description="Mutation score a verified step reaches"
    )
    sandbox_python: str | None = Field(
        default=None, description="Interpreter for generated code; default: this one"
    )
    queue_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the job queue shared by every worker; default: a "
        "private PostgreSQL cluster in the data folder, started on first use",
    )
    queue_user_limit: int = Field(
        default=4, ge=1, le=100, description="Interactive jobs one author may have in flight"
    )
    sandbox_cpu_seconds: int = Field(default=30, ge=1)
    sandbox_memory_mb: int = Field(default=2048, ge=256)
    sandbox_wall_seconds: float = Field(default=90.0, gt=0)
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description='Price per million tokens by model, as JSON: {"gpt-4o-mini": '
        '{"input": 0.15, "output": 0.6}}; the logbook and metrics cost the calls of these',
    )
