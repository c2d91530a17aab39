"""The sandboxed environment is built from an allow-list, never by subtracting from ours.

Nothing from the host's ``os.environ`` is copied, so API keys, tokens and ``COAUTHOR_*``
settings cannot leak even when new ones appear; extra variables are checked by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

REPORT_FD_VAR = "SANDBOX_REPORT_FD"

_BASE = {
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "USER": "sandbox",
    "LOGNAME": "sandbox",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "PYTHONNOUSERSITE": "1",
    "PYTHONUNBUFFERED": "1",
    "MPLBACKEND": "Agg",
    # one thread each: threads count against RLIMIT_NPROC and RLIMIT_AS
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
_SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE")
_FORBIDDEN_PREFIXES = ("COAUTHOR_", "LD_", "OPENAI", "ANTHROPIC", "HF_", "AWS_", "GITHUB")


def check_env_name(name: str) -> None:
    """Refuse names that could carry secrets or change how binaries load."""
    upper = name.upper()
    if not _NAME.match(name):
        raise ValueError(f"invalid sandbox environment variable name: {name!r}")
    if _SECRET.search(upper) or upper.startswith(_FORBIDDEN_PREFIXES):
        raise ValueError(f"refusing to pass {name!r} into the sandbox: it may carry a secret")


def sandbox_env(
    *,
    bin_dirs: Sequence[str],
    home: str,
    tmpdir: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment of a sandboxed process."""
    env = dict(_BASE)
    path = [*bin_dirs, *(d for d in _SYSTEM_PATH if d not in bin_dirs)]
    env.update(PATH=":".join(path), HOME=home, TMPDIR=tmpdir)
    for name, value in (extra or {}).items():
        check_env_name(name)
        env[name] = value
    return env
