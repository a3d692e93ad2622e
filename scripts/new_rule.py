#!/usr/bin/env python3
"""Scaffold a detection rule: `python scripts/new_rule.py zoom-<id> --name ... --ocsf-type ...`
(see docs/contributing.md)."""

import sys

from contentkit.scaffold import main

if __name__ == "__main__":
    sys.exit(main())
