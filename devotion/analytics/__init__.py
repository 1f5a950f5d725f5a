"""Customer analytics as pure functions and estimators: no Django, so it runs anywhere (see docs/architecture.md)."""
