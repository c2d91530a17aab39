"""Pick the strongest sandbox this machine supports, and say so loudly when it is weak."""

from __future__ import annotations

import logging
import warnings

from coauthor.sandbox.base import Sandbox, SandboxUnavailableError
from coauthor.sandbox.bubblewrap import BubblewrapSandbox
from coauthor.sandbox.fallback import RlimitSandbox

logger = logging.getLogger(__name__)

WEAK_ISOLATION_WARNING = (
    "bubblewrap is unavailable ({reason}); generated code will run with rlimits only: it can "
    "read and write your files and use the network. Install bubblewrap "
    "(Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) "
    "and make sure user namespaces are allowed."
)


def sandbox_for(
    interpreter: str | None = None,
    *,
    require_isolation: bool = False,
    workdir_parent: str | None = None,
) -> Sandbox:
    """Bubblewrap when it works here, else the rlimits-only fallback with a warning."""
    try:
        return BubblewrapSandbox(interpreter, workdir_parent=workdir_parent)
    except SandboxUnavailableError as exc:
        if require_isolation:
            raise
        message = WEAK_ISOLATION_WARNING.format(reason=exc)
    logger.warning(message)
    warnings.warn(message, RuntimeWarning, stacklevel=2)
    return RlimitSandbox(interpreter, workdir_parent=workdir_parent)
