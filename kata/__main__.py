#!/usr/bin/env python3
"""Run the checker's command line: ``python -m kata ...``."""
import sys

from kata.cli import main

sys.exit(main())
