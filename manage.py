#!/usr/bin/env python
"""Django's manage.py, kept for habit; ``devotion`` is the same thing with friendlier names."""

from devotion.cli import main

if __name__ == "__main__":
    main()
