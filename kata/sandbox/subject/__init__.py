#!/usr/bin/env python3
"""The code that runs inside the sandbox, beside the student's modules.

Nothing here decides a verdict. The zygote (``zygote.py``) preloads the
libraries and forks one child per test; each child imports the student's
modules and answers the judge's requests (``serve.py``) in the format of
``wire.py``. The judge reads every answer as untrusted data.
"""
