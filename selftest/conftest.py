#!/usr/bin/env python3
"""Make the kata's package importable for its own tests."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
