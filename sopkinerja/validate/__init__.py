"""Stage ``validate``: check one parsed return against what was issued (ledger) and the rules of
product.md §2-3.

Each check is a small generator that yields Issue values (``checks``, ``log``);
``CHECKS`` is the registry, run in order. Checks never raise on bad data.
``worker`` parses and validates files in the pool.
"""

from __future__ import annotations

from sopkinerja.issues import ERROR, Issue
from sopkinerja.validate.checks import (
    check_identity,
    check_prefilled,
    check_structure,
    check_timeliness,
    check_values,
    is_filled,
)
from sopkinerja.validate.context import Context, Rules, load_issued
from sopkinerja.validate.log import check_log

__all__ = ["CHECKS", "Context", "Rules", "load_issued", "validate"]

# Identity first: without a known request for this period nothing else can be checked.
CHECKS = (check_structure, check_prefilled, check_values, check_log, check_timeliness)


def validate(ctx: Context) -> list[Issue]:
    issues = list(check_identity(ctx))
    if any(issue.severity == ERROR for issue in issues):
        return issues
    first, *rest = CHECKS
    issues.extend(first(ctx))  # the structure: which rows are the issued indicators
    if ctx.parsed.get("data") is not None and ctx.rows and not is_filled(ctx):
        # A copy of the blank request: no answer at all, never an answer with 60 errors.
        return [*issues, ctx.issue("not-filled", sheet=ctx.parsed["data"]["sheet"])]
    for check in rest:
        issues.extend(check(ctx))
    return issues
