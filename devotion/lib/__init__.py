"""Shared helpers with no models: environment, normalisation, signing."""
