"""Devotion: the open-source customer obsession platform."""
