"""Text understanding as pure functions and estimators: no Django (see docs/architecture.md)."""
