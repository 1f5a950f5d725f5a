"""Customer analytics as pure functions and estimators.

No Django here, so it runs anywhere (see docs/architecture.md).
"""
