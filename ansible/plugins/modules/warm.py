#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: warm
short_description: Pre-load a node's containerd from an airlock bundle or the store
description:
  - Runs C(airlock warm SRC --containerd SOCKET --json) on the node. Only the blobs the node
    lacks are sent; C(changed) is true when airlock warmed an image (not when every image was
    C(skipped), already named and whole).
  - In check mode runs C(airlock warm --dry-run), which reads the node and changes nothing;
    C(changed) is then true when an image would be warmed.
  - A failure names airlock's error code (C(CONTAINERD_FAILED), C(PLATFORM_NOT_FOUND), ...).
options:
  src:
    description: The bundle, or C(store:) with C(lock).
    type: str
    required: true
  containerd:
    description: containerd's socket.
    type: path
    default: /run/containerd/containerd.sock
  namespace:
    description: containerd namespace (the kubelet uses k8s.io).
    type: str
    default: k8s.io
  only:
    description: Only the images with these lock keys.
    type: list
    elements: str
  platform:
    description: The node's platform (default the machine's).
    type: str
  unpack:
    description: Unpack into the snapshotter, as a pull would.
    type: bool
    default: false
  snapshotter:
    description: With C(unpack), the snapshotter.
    type: str
  names:
    description: Name the images where C(airlock mirror --to REGISTRY/PREFIX) put them.
    type: str
  lock:
    description: The lock saying which images (needed with C(store:)).
    type: path
  jobs:
    description: Blobs streamed at once.
    type: int
  ctr:
    description: containerd's ctr command.
    type: str
extends_documentation_fragment:
  - airlock.airlock.common
author:
  - airlock maintainers
"""

EXAMPLES = r"""
- name: Load the images into the node's containerd
  airlock.airlock.warm:
    src: /var/lib/airlock/images.tar
    names: registry.local:5000/mirror
"""

RETURN = r"""
report:
  description: airlock's report (each image with its key, name, digest, skipped or warmed, blobs and bytes sent).
  returned: when not in check mode
  type: dict
warmed:
  description: Images warmed by this run.
  returned: when not in check mode
  type: int
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airlock.airlock.plugins.module_utils.airlock import common_args, run


def main():
    module = AnsibleModule(
        argument_spec=common_args(
            src=dict(type="str", required=True),
            containerd=dict(type="path", default="/run/containerd/containerd.sock"),
            namespace=dict(type="str", default="k8s.io"),
            only=dict(type="list", elements="str"),
            platform=dict(type="str"),
            unpack=dict(type="bool", default=False),
            snapshotter=dict(type="str"),
            names=dict(type="str"),
            lock=dict(type="path"),
            jobs=dict(type="int"),
            ctr=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    args = ["warm", p["src"], "--containerd", p["containerd"], "--namespace", p["namespace"], "--json"]
    for flag in ("platform", "snapshotter", "names", "lock", "ctr", "store"):
        if p[flag]:
            args += ["--" + flag, p[flag]]
    if p["unpack"]:
        args.append("--unpack")
    if p["jobs"] is not None:
        args += ["--jobs", str(p["jobs"])]
    if module.check_mode:
        args.append("--dry-run")
    # --only takes several keys; it goes last so no later argument is read as a key.
    if p["only"]:
        args += ["--only"] + p["only"]

    _rc, stdout, _err, cmd = run(module, "warm", args)
    try:
        report = json.loads(stdout)
    except ValueError:
        module.fail_json(msg="airlock warm printed no JSON report", stdout=stdout, cmd=cmd)
    warmed = [i for i in report.get("images", []) if i.get("status") in ("warmed", "planned")]
    module.exit_json(changed=bool(warmed), warmed=len(warmed), report=report, cmd=cmd)


if __name__ == "__main__":
    main()
