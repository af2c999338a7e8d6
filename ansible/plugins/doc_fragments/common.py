# -*- coding: utf-8 -*-
"""The options every airlock.airlock module takes (module_utils.airlock's common argument spec)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  airlock_bin:
    description: The airlock command (a name on PATH, a path, or a command line).
    type: str
    default: airlock
  store:
    description: Store directory (default C($AIRLOCK_STORE) or C(~/.cache/airlock/store)); used where the command reads or fills the store.
    type: path
  insecure_registry:
    description: Registries to talk plain HTTP to (loopback is plain HTTP already); unused where the command talks to none.
    type: list
    elements: str
    default: []
  extra_args:
    description: More airlock flags, passed as they are.
    type: list
    elements: str
    default: []
"""
