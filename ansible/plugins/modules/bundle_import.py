#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bundle_import
short_description: Import an airlock bundle into a registry, the store or a layout
description:
  - Runs C(airlock bundle import SRC --to TO --json). Every blob is verified; what the target
    already holds is skipped, so C(changed) is true only when airlock copied an image.
  - In check mode runs C(airlock bundle import --dry-run).
  - A failure names airlock's error code (C(VOLUME_MISSING), C(BUNDLE_BASE_MISSING), ...).
options:
  src:
    description: The bundle, or a split bundle's C(.bundle.json).
    type: path
    required: true
  to:
    description: C(REGISTRY[/PREFIX]), C(store:) or C(oci:DIR).
    type: str
    required: true
  only:
    description: Only these lock keys (one airlock run each).
    type: list
    elements: str
  platform:
    description: Keep only these platforms of a multi-arch image.
    type: list
    elements: str
    default: []
  keep_going:
    description: After a failed image, finish the others, then fail.
    type: bool
    default: false
  report:
    description: Write airlock's JSON report here.
    type: path
  jobs:
    description: Images copied at once.
    type: int
extends_documentation_fragment:
  - airlock.airlock.common
author:
  - airlock maintainers
"""

EXAMPLES = r"""
- name: Fill the closed side's registry from the bundle that came across
  airlock.airlock.bundle_import:
    src: /media/usb/images.tar
    to: registry.local:5000/mirror
"""

RETURN = r"""
images:
  description: airlock's result for each image.
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
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airlock.airlock.plugins.module_utils.airlock import common_args, registry_flags, run_copy


def main():
    module = AnsibleModule(
        argument_spec=common_args(
            src=dict(type="path", required=True),
            to=dict(type="str", required=True),
            only=dict(type="list", elements="str"),
            platform=dict(type="list", elements="str", default=[]),
            keep_going=dict(type="bool", default=False),
            report=dict(type="path"),
            jobs=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    args = ["bundle", "import", p["src"], "--to", p["to"]]
    for platform in p["platform"]:
        args += ["--platform", platform]
    if p["keep_going"]:
        args.append("--keep-going")
    if p["report"]:
        args += ["--report", p["report"]]
    if p["jobs"] is not None:
        args += ["--jobs", str(p["jobs"])]
    args += registry_flags(module)
    module.exit_json(**run_copy(module, "bundle import", args, p["only"]))


if __name__ == "__main__":
    main()
