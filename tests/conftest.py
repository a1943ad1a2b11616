"""The test suite: every test drives the real ecomctl and the real engines.

Tiers, one folder each: unit/ (in process, under a minute: `nox -s quick`), stacks/<stack>/
(a stack's servers for real), faults/ (crashes, kills, bad input, hostile input). Fixtures
live in support/ and are registered here, never imported by the tests that use them.
"""

from __future__ import annotations

pytest_plugins = [
    "support.fixtures",  # generated Olist files, a home with a completed run
    "support.dockerd",  # a Docker engine and Compose CLI of the tests' own
    "support.native",  # the native stack's engines, started once for the session
    "support.repository",  # a loopback stand-in for Maven Central serving the pinned files
    "support.stranger",  # a second local user, for the probes of what others can reach
    "support.faultlog",  # the fault table printed at the end of the run
]
