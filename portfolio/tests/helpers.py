from portfolio.audit import run_audit


def assert_books_balance() -> None:
    """Every money invariant holds (the same checks as `manage.py audit_ledger`)."""
    report = run_audit()
    assert report.ok, report.violations
