#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: render
short_description: Write what a deployment tool needs from a lock with airlock render
description:
  - Runs C(airlock render SRC --format FORMAT) and writes its output to DEST when it differs
    (C(changed) says so). Rendering is pure, so it also runs in check mode, which compares only.
  - C(containerd) writes several files under DEST (a directory); the others write one file.
  - airlock render has no C(--json); what it prints is the result.
  - A failure names airlock's error code (C(RENDER_UNSUPPORTED), C(LOCK_INVALID), ...).
options:
  src:
    description: The lock file.
    type: path
    required: true
  format:
    description: The output format.
    type: str
    required: true
    choices: [atmosphere, containerd, helm, kubespray, list, tripleo]
  dest:
    description: The file to write (a directory for C(containerd)).
    type: path
    required: true
  unpinned:
    description: Reference images by tag instead of digest.
    type: bool
    default: false
  mirror:
    description: containerd, the local mirror C([http://]host[:port][/prefix]).
    type: str
  skip_verify:
    description: containerd, do not verify the mirror's TLS certificate.
    type: bool
    default: false
  ca:
    description: containerd, the mirror's CA certificate as a path on the nodes.
    type: str
  mode:
    description: Mode of the files written.
    type: raw
    default: "0644"
extends_documentation_fragment:
  - airlock.airlock.common
author:
  - airlock maintainers
"""

EXAMPLES = r"""
- name: Point Kubespray at the mirrored images
  airlock.airlock.render:
    src: images.lock.yaml
    format: kubespray
    dest: inventory/mycluster/group_vars/all/zz-airlock-images.yml
"""

RETURN = r"""
files:
  description: The files written (or, in check mode, that would be), relative to DEST for containerd.
  returned: always
  type: list
  elements: str
warnings_airlock:
  description: airlock's warnings (an image left unpinned, ...).
  returned: always
  type: list
  elements: str
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airlock.airlock.plugins.module_utils.airlock import common_args, put_content, read_bytes, run


def airlock_warnings(stderr):
    return [l[len("airlock: warning: "):] for l in (stderr or "").splitlines() if l.startswith("airlock: warning: ")]


def render_args(p):
    args = ["render", p["src"], "--format", p["format"]]
    if p["unpinned"]:
        args.append("--unpinned")
    if p["mirror"]:
        args += ["--mirror", p["mirror"]]
    if p["skip_verify"]:
        args.append("--skip-verify")
    if p["ca"]:
        args += ["--ca", p["ca"]]
    return args


def render_file(module):
    """One file: airlock prints it, and it is written only when it differs (check mode writes nothing)."""
    p = module.params
    _rc, out, err, cmd = run(module, "render", render_args(p))
    changed, diff = put_content(module, p["dest"], out.encode("utf-8"), mode=p["mode"])
    return dict(changed=changed, files=[p["dest"]] if changed else [], diff=diff, cmd=cmd, warnings_airlock=airlock_warnings(err))


def render_tree(module):
    """containerd: render into a temp directory, then copy each file that differs under DEST (nothing is deleted)."""
    p = module.params
    tmp = tempfile.mkdtemp(prefix="airlock-render-")
    try:
        _rc, _out, err, cmd = run(module, "render", render_args(p) + ["-o", tmp])
        written = []
        for root, _dirs, names in os.walk(tmp):
            for name in sorted(names):
                rel = os.path.relpath(os.path.join(root, name), tmp)
                target = os.path.join(p["dest"], rel)
                if read_bytes(target) == read_bytes(os.path.join(root, name)):
                    continue
                written.append(rel)
                if not module.check_mode:
                    if not os.path.isdir(os.path.dirname(target)):
                        os.makedirs(os.path.dirname(target))
                    staged = target + ".airlock-%d.tmp" % os.getpid()
                    shutil.copyfile(os.path.join(root, name), staged)
                    module.atomic_move(staged, target)
                    module.set_mode_if_different(target, p["mode"], False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dict(changed=bool(written), files=sorted(written), cmd=cmd, warnings_airlock=airlock_warnings(err))


def main():
    module = AnsibleModule(
        argument_spec=common_args(
            src=dict(type="path", required=True),
            format=dict(type="str", required=True, choices=["atmosphere", "containerd", "helm", "kubespray", "list", "tripleo"]),
            dest=dict(type="path", required=True),
            unpinned=dict(type="bool", default=False),
            mirror=dict(type="str"),
            skip_verify=dict(type="bool", default=False),
            ca=dict(type="str"),
            mode=dict(type="raw", default="0644"),
        ),
        supports_check_mode=True,
    )
    if module.params["format"] == "containerd":
        module.exit_json(**render_tree(module))
    module.exit_json(**render_file(module))


if __name__ == "__main__":
    main()
