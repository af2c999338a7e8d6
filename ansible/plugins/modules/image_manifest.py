#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: image_manifest
short_description: Write Atmosphere's image manifest with airlock, mirroring the images first
description:
  - The work of the C(airlock.airlock.image_manifest) role, a drop-in for Atmosphere's own
    C(image_manifest) role. The images Atmosphere deploys (C(atmosphere_images)) become an
    airlock image set (C(airlock import atmosphere)), each under REGISTRY when one is given; the
    set is pinned by digest (C(airlock resolve)), optionally mirrored (C(airlock mirror), in
    place of C(crane copy)), and the manifest is C(airlock render --format atmosphere).
  - The manifest sets C(atmosphere_image_overrides) (each image's pinned reference), which
    Atmosphere combines into C(atmosphere_images); its role vars win over an inventory's
    C(atmosphere_images), the overrides do not.
  - C(changed) is true when the manifest or the lock file changed, or airlock copied an image.
    Check mode resolves (reads registries), runs C(airlock mirror --dry-run) and compares the
    manifest, writing nothing.
options:
  path:
    description: The manifest file to write (C(image_manifest_path)).
    type: path
    required: true
  registry:
    description:
      - The registry (C(host[:port][/prefix])) the images are mirrored to (C(image_manifest_registry)).
        Each image keeps its source path under it, as C(airlock mirror --to) places images.
      - Without it the manifest pins the images where they are.
    type: str
  mirror:
    description: Mirror the images to C(registry) first (C(image_manifest_mirror)).
    type: bool
    default: false
  images:
    description:
      - The Atmosphere image names to mirror (C(image_manifest_images)); a comma-separated string
        is read as a list. Default every image. The manifest always lists every image.
    type: list
    elements: str
  force:
    description: Overwrite an existing manifest (C(image_manifest_force)); without it an existing file is an error.
    type: bool
    default: false
  atmosphere_images:
    description: Atmosphere's C(atmosphere_images), image name to reference.
    type: dict
    required: true
  lock_path:
    description: Also keep the lock (every image pinned by digest) here, for C(airlock bundle create) and C(airlock warm).
    type: path
extends_documentation_fragment:
  - airlock.airlock.common
author:
  - airlock maintainers
"""

EXAMPLES = r"""
- name: Mirror Atmosphere's images and write the manifest
  airlock.airlock.image_manifest:
    path: /tmp/atmosphere_images.yml
    registry: registry.example.com
    mirror: true
    atmosphere_images: "{{ atmosphere_images }}"
"""

RETURN = r"""
manifest:
  description: The manifest's content.
  returned: always
  type: str
mirrored:
  description: airlock's result for each image mirrored (or, in check mode, planned).
  returned: when mirror is true
  type: list
  elements: dict
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airlock.airlock.plugins.module_utils.airlock import (
    common_args,
    normalise_key,
    put_content,
    registry_flags,
    run,
    run_copy,
)

# The file the images are imported from, named relative to the work directory so the lock
# (which records where each image came from) is the same on every run.
SOURCE = "atmosphere_images.yml"


def image_set(module, work, names):
    """images.yaml made by `airlock import atmosphere` from atmosphere_images, under `registry` when given."""
    p = module.params
    # JSON strings are YAML double-quoted scalars: no YAML library is needed to write them.
    lines = ["atmosphere_images:"] + ["  %s: %s" % (json.dumps(n), json.dumps(p["atmosphere_images"][n])) for n in names]
    with open(os.path.join(work, SOURCE), "w") as f:
        f.write("\n".join(lines) + "\n")
    # The values are Atmosphere's evaluated references already: nothing for Ansible to evaluate.
    # With a registry, airlock adds the one rule sending every image there.
    dest = ["--push-destination", p["registry"]] if p["registry"] else []
    _rc, _out, err, _cmd = run(module, "import atmosphere", ["import", "atmosphere", SOURCE, "--ansible", "never"] + dest + ["-o", "images.yaml"], cwd=work)
    path = os.path.join(work, "images.yaml")
    return path, [l for l in err.splitlines() if l.strip()]


def mirror_keys(module, names):
    """The lock keys of the images to mirror, or None for all; unknown names fail as Atmosphere's role would."""
    wanted = module.params["images"]
    if wanted is None:
        return None
    wanted = [w.strip() for w in wanted if w.strip()]
    unknown = [w for w in wanted if w not in module.params["atmosphere_images"]]
    if unknown:
        module.fail_json(msg="image_manifest_images names images atmosphere_images does not have: %s (it has: %s)" % (", ".join(unknown), ", ".join(names)))
    if sorted(set(wanted)) == names:
        return None
    keys = {}
    for n in names:
        keys.setdefault(normalise_key(n), []).append(n)
    out = []
    for w in wanted:
        key = normalise_key(w)
        if len(keys[key]) > 1:
            module.fail_json(msg="images %s share the airlock key %s: mirror them all (leave image_manifest_images unset)" % (", ".join(keys[key]), key))
        if key not in out:
            out.append(key)
    return out


def main():
    module = AnsibleModule(
        argument_spec=common_args(
            path=dict(type="path", required=True),
            registry=dict(type="str"),
            mirror=dict(type="bool", default=False),
            images=dict(type="list", elements="str"),
            force=dict(type="bool", default=False),
            atmosphere_images=dict(type="dict", required=True),
            lock_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if os.path.exists(p["path"]) and not p["force"]:
        module.fail_json(msg="File %s already exists, use -e image_manifest_force=true to overwrite" % p["path"])
    bad = sorted(n for n, ref in p["atmosphere_images"].items() if not isinstance(ref, str) or not ref)
    if bad:
        module.fail_json(msg="atmosphere_images: each value must be an image reference (a string); not: %s" % ", ".join(bad))
    if not p["atmosphere_images"]:
        module.fail_json(msg="atmosphere_images is empty")
    if p["mirror"] and not p["registry"]:
        module.fail_json(msg="image_manifest_mirror needs image_manifest_registry: the registry to mirror to")
    names = sorted(p["atmosphere_images"])
    keys = mirror_keys(module, names)

    work = tempfile.mkdtemp(prefix="airlock-image-manifest-")
    try:
        set_file, notes = image_set(module, work, names)
        # Printed, not written: the lock is put in place below only when it differs.
        _rc, lock_text, _err, _cmd = run(module, "resolve", ["resolve", set_file] + registry_flags(module), cwd=work)
        lock_file = os.path.join(work, "images.lock.yaml")
        with open(lock_file, "w") as f:
            f.write(lock_text)
        changed = False
        result = dict()
        if p["lock_path"]:
            lock_changed, _diff = put_content(module, p["lock_path"], lock_text.encode("utf-8"), mode="0644")
            changed = changed or lock_changed
        if p["mirror"]:
            mirrored = run_copy(module, "mirror", ["mirror", lock_file] + registry_flags(module), keys)
            changed = changed or mirrored["changed"]
            result["mirrored"] = mirrored["images"]
        _rc, manifest, _err, _cmd = run(module, "render", ["render", lock_file, "--format", "atmosphere"], cwd=work)
        manifest_changed, diff = put_content(module, p["path"], manifest.encode("utf-8"), mode="0644")
        changed = changed or manifest_changed
    finally:
        shutil.rmtree(work, ignore_errors=True)
    module.exit_json(changed=changed, manifest=manifest, path=p["path"], notes=notes, diff=diff, **result)


if __name__ == "__main__":
    main()
