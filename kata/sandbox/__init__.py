#!/usr/bin/env python3
"""The sandbox: the jail that runs a submission's code and its protocol.

It holds process control too, and the subject package that runs inside.
"""
