"""Stage ``validate``: check one parsed return against what was issued (ledger) and the rules of
product.md §2-3.

Each check is a small generator that yields Issue values (``checks``, ``log``);
``CHECKS`` is the registry, run in order. Checks never raise on bad data.
``worker`` parses and validates files in the pool.
"""

from __future__ import annotations

from sopkinerja.issues import ERROR, Issue
from sopkinerja.validate.checks import check_identity, check_prefilled, check_structure, check_timeliness, check_values
from sopkinerja.validate.context import Context, Rules, load_issued
from sopkinerja.validate.log import check_log

__all__ = ["CHECKS", "Context", "Rules", "load_issued", "validate"]

# Identity first: without a known request for this period nothing else can be checked.
CHECKS = (check_structure, check_prefilled, check_values, check_log, check_timeliness)


def validate(ctx: Context) -> list[Issue]:
    issues = list(check_identity(ctx))
    if any(issue.severity == ERROR for issue in issues):
        return issues
    for check in CHECKS:
        issues.extend(check(ctx))
    return issues
