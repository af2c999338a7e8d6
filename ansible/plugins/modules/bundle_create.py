#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bundle_create
short_description: Write an airlock bundle (the file carried across the air gap)
description:
  - Runs C(airlock bundle create SRC -o DEST --json). airlock pulls what the store lacks, then
    writes the bundle from the store; the same images give the same bytes.
  - C(changed) is true when the pull copied an image into the store, or when the bundle's content
    differs from the one DEST held (its C(index.json) and C(airlock/checksums.sha256), which
    list every file, or a split bundle's C(.bundle.json), or for zstd the file's sha256).
  - Check mode does not run airlock (its C(bundle create --dry-run) still writes the bundle
    after the dry pull). It reports a change unless DEST is a plain bundle that already carries
    exactly the lock SRC (byte for byte) with no C(only), C(have), C(platform) or C(split).
options:
  src:
    description: The lock file (or an image list).
    type: path
    required: true
  dest:
    description: The bundle to write (images.tar).
    type: path
    required: true
  from_store:
    description: Take the images from the store only, fetching nothing (C(--from store:)).
    type: bool
    default: false
  only:
    description: Only the image with this lock key.
    type: str
  have:
    description: Differential, C(have.json) from C(airlock inventory) on the closed side.
    type: path
  zstd:
    description: Compress the bundle with zstd.
    type: bool
    default: false
  split:
    description: Cut the bundle into volumes of at most this size (C(700M), C(4G)).
    type: str
  platform:
    description: Keep only these platforms of a multi-arch image.
    type: list
    elements: str
    default: []
  jobs:
    description: Images pulled at once.
    type: int
extends_documentation_fragment:
  - airlock.airlock.common
author:
  - airlock maintainers
"""

EXAMPLES = r"""
- name: Download once into the store and write the bundle
  airlock.airlock.bundle_create:
    src: images.lock.yaml
    dest: /srv/airlock/images.tar
"""

RETURN = r"""
bundle:
  description: airlock's summary of the bundle (file, images, blobs, bytes, volumes).
  returned: when not in check mode
  type: dict
pulled:
  description: airlock's result for each image pulled into the store.
  returned: when not in check mode
  type: list
  elements: dict
"""

import hashlib
import os
import tarfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airlock.airlock.plugins.module_utils.airlock import (
    common_args,
    copy_results,
    fail,
    json_lines,
    read_bytes,
    registry_flags,
    run,
)


def split_index(dest):
    """The `.bundle.json` airlock writes beside a split bundle (FILE without .tar)."""
    base = dest[:-4] if dest.endswith(".tar") else dest
    return base + ".bundle.json"


def tar_members(path, names):
    """The bytes of the named members of a plain tar (None when it is not one)."""
    try:
        if not tarfile.is_tarfile(path):
            return None
        out = {}
        with tarfile.open(path, "r:") as tar:
            for name in names:
                try:
                    f = tar.extractfile(name)
                except KeyError:
                    f = None
                out[name] = f.read() if f else None
        return out
    except (tarfile.TarError, IOError, OSError):
        return None


def fingerprint(dest, split):
    """What identifies a bundle's content without hashing its blobs again; None when there is none."""
    if split:
        return read_bytes(split_index(dest))
    if not os.path.exists(dest):
        return None
    members = tar_members(dest, ["index.json", "airlock/checksums.sha256"])
    if members is not None:
        return repr(sorted(members.items())).encode("utf-8")
    digest = hashlib.sha256()
    with open(dest, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest().encode("ascii")


def main():
    module = AnsibleModule(
        argument_spec=common_args(
            src=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            from_store=dict(type="bool", default=False),
            only=dict(type="str"),
            have=dict(type="path"),
            zstd=dict(type="bool", default=False),
            split=dict(type="str"),
            platform=dict(type="list", elements="str", default=[]),
            jobs=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    args = ["bundle", "create", p["src"], "-o", p["dest"], "--json"]
    if p["from_store"]:
        args += ["--from", "store:"]
    if p["only"]:
        args += ["--only", p["only"]]
    if p["have"]:
        args += ["--have", p["have"]]
    if p["zstd"]:
        args.append("--zstd")
    if p["split"]:
        args += ["--split", p["split"]]
    for platform in p["platform"]:
        args += ["--platform", platform]
    if p["jobs"] is not None:
        args += ["--jobs", str(p["jobs"])]
    args += registry_flags(module)

    if module.check_mode:
        same = False
        if not (p["only"] or p["have"] or p["platform"] or p["split"] or p["zstd"]):
            members = tar_members(p["dest"], ["airlock/images.lock.yaml"]) if os.path.exists(p["dest"]) else None
            same = bool(members) and members.get("airlock/images.lock.yaml") == read_bytes(p["src"])
        module.exit_json(
            changed=not same,
            msg="check mode: %s already carries this lock" % p["dest"] if same else "check mode: would write %s (airlock was not run)" % p["dest"],
        )

    before = fingerprint(p["dest"], p["split"])
    rc, stdout, stderr, cmd = run(module, "bundle create", args, check_rc=False)
    events = json_lines(stdout)
    pulled, _summary = copy_results(events)
    if rc != 0:
        fail(module, "bundle create", rc, stdout, stderr, cmd, codes=[r["error"]["code"] for r in pulled if r.get("error")])
    bundles = [e for e in events if e.get("type") == "bundle"]
    after = fingerprint(p["dest"], p["split"])
    copied = any(r.get("status") == "copied" for r in pulled)
    module.exit_json(changed=copied or before != after, bundle=bundles[-1] if bundles else None, pulled=pulled, cmd=cmd)


if __name__ == "__main__":
    main()
