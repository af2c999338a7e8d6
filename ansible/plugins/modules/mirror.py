#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mirror
short_description: Copy the images of a lock, image set or list to a registry with airlock mirror
description:
  - Runs C(airlock mirror SRC --json). C(changed) is true when airlock copied an image; an image
    already in place costs one HEAD and is reported up to date.
  - In check mode runs C(airlock mirror --dry-run), which reads and compares only.
  - A failure names airlock's error code, e.g. C([REGISTRY_UNAUTHORIZED]).
options:
  src:
    description: Lock file, image set or image list (one reference per line).
    type: path
    required: true
  to:
    description: C(REGISTRY[/PREFIX]), C(store:) or C(oci:DIR); overrides every destination of a lock.
    type: str
  from:
    description: Read the images from C(oci:DIR) or C(store:) instead of their registries.
    type: str
  only:
    description: Only these lock keys (or, for a list, references containing these); one airlock run each.
    type: list
    elements: str
  platform:
    description: Keep only these platforms (C(os/arch[/variant])) of a multi-arch image.
    type: list
    elements: str
    default: []
  keep_going:
    description: After a failed image, finish the others, then fail.
    type: bool
    default: false
  via_store:
    description: Pull into the store first, then copy from it.
    type: bool
    default: false
  report:
    description: Write airlock's JSON report here.
    type: path
  jobs:
    description: Images copied at once.
    type: int
  set:
    description: Image set only, template parameters (name to value).
    type: dict
    default: {}
extends_documentation_fragment:
  - airlock.airlock.common
author:
  - airlock maintainers
"""

EXAMPLES = r"""
- name: Mirror exactly what the lock pins
  airlock.airlock.mirror:
    src: images.lock.yaml
    to: registry.local:5000/mirror
"""

RETURN = r"""
images:
  description: airlock's result for each image (source, destination, status, digest, bytes sent, error).
  returned: always
  type: list
  elements: dict
copied:
  description: Images copied by this run.
  returned: always
  type: int
planned:
  description: Check mode, images that would be copied.
  returned: always
  type: int
up_to_date:
  description: Images already in place.
  returned: always
  type: int
bytes_sent:
  description: Bytes sent.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airlock.airlock.plugins.module_utils.airlock import common_args, registry_flags, run_copy, set_value


def main():
    module = AnsibleModule(
        argument_spec=common_args(
            src=dict(type="path", required=True),
            to=dict(type="str"),
            **{"from": dict(type="str")},
            only=dict(type="list", elements="str"),
            platform=dict(type="list", elements="str", default=[]),
            keep_going=dict(type="bool", default=False),
            via_store=dict(type="bool", default=False),
            report=dict(type="path"),
            jobs=dict(type="int"),
            set=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    args = ["mirror", p["src"]]
    if p["to"]:
        args += ["--to", p["to"]]
    if p["from"]:
        args += ["--from", p["from"]]
    for platform in p["platform"]:
        args += ["--platform", platform]
    if p["keep_going"]:
        args.append("--keep-going")
    if p["via_store"]:
        args.append("--via-store")
    if p["report"]:
        args += ["--report", p["report"]]
    if p["jobs"] is not None:
        args += ["--jobs", str(p["jobs"])]
    for name, value in sorted(p["set"].items()):
        args += ["--set", "%s=%s" % (name, set_value(value))]
    args += registry_flags(module)
    module.exit_json(**run_copy(module, "mirror", args, p["only"]))


if __name__ == "__main__":
    main()
