"""Hypothesis profiles of the fuzz suite.

Profiles (registered under the names in ``fuzzing.PROFILES``):

``default``  CI-affordable: 100 examples per property (``POLICYGUARD_FUZZ_EXAMPLES`` overrides),
             no deadline. The whole suite runs in well under 30 s on two cores.
``slow``     10 000 examples per property (``POLICYGUARD_FUZZ_SLOW_EXAMPLES`` overrides), no
             deadline: ``pytest tests/fuzz -m slow``.

Every property exists once and is collected as ``[default]`` and ``[slow]`` (see ``fuzzing.fuzz``);
the ``[slow]`` item carries ``@pytest.mark.slow``, which pyproject's ``addopts`` deselects
(``-m "not slow"``): a plain ``pytest`` runs the default items, ``-m slow`` the slow ones.
"""

from __future__ import annotations

import os

from fuzzing import PROFILES
from hypothesis import HealthCheck, settings


def _examples(variable: str, default: int) -> int:
    value = os.environ.get(variable, "").strip()
    return max(1, int(value)) if value else default


_COMMON = {
    "deadline": None,
    "print_blob": True,
    # Inputs are large on purpose (long lines, 40x repeated headers, whole robots.txt files).
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
}

settings.register_profile(
    PROFILES["default"], max_examples=_examples("POLICYGUARD_FUZZ_EXAMPLES", 100), **_COMMON
)
settings.register_profile(
    PROFILES["slow"], max_examples=_examples("POLICYGUARD_FUZZ_SLOW_EXAMPLES", 10_000), **_COMMON
)
