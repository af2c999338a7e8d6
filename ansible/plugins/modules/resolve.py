#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: resolve
short_description: Pin an image set by digest into a lock file with airlock resolve
description:
  - Runs C(airlock resolve SRC -o DEST). airlock writes the same bytes for an unchanged set, so
    the new lock is written beside DEST and put in place only when it differs; C(changed) says so.
  - airlock resolve has no C(--json); the lock itself is the result. In check mode the lock is
    resolved (that only reads registries) and compared, and DEST is left alone.
  - A failure names airlock's error code (C(IMAGESET_INVALID), C(REGISTRY_UNAUTHORIZED), ...).
options:
  src:
    description: The image set (images.yaml).
    type: path
    required: true
  dest:
    description: The lock file to write (images.lock.yaml).
    type: path
    required: true
  set:
    description: Template parameters over the file and every rule (name to value).
    type: dict
    default: {}
  from:
    description: Pin from what C(store:) or C(oci:DIR) holds, with no network.
    type: str
  referrers:
    description: Which referrers the lock lists.
    type: str
    choices: [all, signatures, none]
  jobs:
    description: Images resolved at once.
    type: int
extends_documentation_fragment:
  - airlock.airlock.common
author:
  - airlock maintainers
"""

EXAMPLES = r"""
- name: Pin what the cloud runs
  airlock.airlock.resolve:
    src: images.yaml
    dest: images.lock.yaml
"""

RETURN = r"""
dest:
  description: The lock file.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airlock.airlock.plugins.module_utils.airlock import (
    common_args,
    registry_flags,
    put_content,
    run,
    set_value,
)


def main():
    module = AnsibleModule(
        argument_spec=common_args(
            src=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            set=dict(type="dict", default={}),
            **{"from": dict(type="str")},
            referrers=dict(type="str", choices=["all", "signatures", "none"]),
            jobs=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    # Printed, not written with -o: check mode then writes nothing at all.
    args = ["resolve", p["src"]]
    for name, value in sorted(p["set"].items()):
        args += ["--set", "%s=%s" % (name, set_value(value))]
    if p["from"]:
        args += ["--from", p["from"]]
    if p["referrers"]:
        args += ["--referrers", p["referrers"]]
    if p["jobs"] is not None:
        args += ["--jobs", str(p["jobs"])]
    args += registry_flags(module)
    _rc, out, _err, cmd = run(module, "resolve", args)
    # airlock refuses (USAGE) a lock of modified images away from its image set, as their
    # inputs are named relative to it; printing skips that check, so it is made here.
    if "\n    modify:" in out and os.path.dirname(os.path.abspath(p["src"])) != os.path.dirname(os.path.abspath(p["dest"])):
        module.fail_json(msg="airlock resolve: %s modifies images: write its lock beside it, not to %s [USAGE]" % (p["src"], p["dest"]), error_code="USAGE")
    changed, diff = put_content(module, p["dest"], out.encode("utf-8"))
    module.exit_json(changed=changed, dest=p["dest"], cmd=cmd, diff=diff)


if __name__ == "__main__":
    main()
