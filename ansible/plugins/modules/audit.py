#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit
short_description: Check that a cluster (or one node) runs what the lock pins, with airlock audit
description:
  - Runs C(airlock audit --lock LOCK --json). Every container of every pod (init and ephemeral
    too) must come from an allowed registry, be pinned by digest, be in the lock, and run the
    locked digest (or one of its platform images). Pods come from the Kubernetes API
    (C(kubeconfig), C(context), else C(KUBECONFIG), C(~/.kube/config) or the in-cluster service
    account of the node running the task), or from C(pods_file).
  - With C(containerd), audits the node running the task instead (C(airlock audit --containerd)),
    after C(airlock warm) for example; every image of the lock must be named in its containerd,
    with the locked digest and all its content.
  - It only reads, so C(changed) is always false, and check mode runs it too.
  - Findings (airlock's exit 1) fail the task with each finding named, unless
    C(fail_on_findings=false); then the task succeeds with C(clean=false) and the findings, for
    a later task to report. Bad input (exit 2, a lock, pods file or kubeconfig airlock cannot
    read, an API it cannot reach) and refused credentials (exit 4) always fail, naming airlock's
    error code, e.g. C([KUBE_API_UNAUTHORIZED]).
options:
  lock:
    description: The lock(s) the cluster should run (the images of all of them).
    type: list
    elements: path
    required: true
  allowed_registries:
    description:
      - Registries (C(host[:port][/prefix])) images may come from. Default the locks' destinations'
        registries.
      - Cluster audit only.
    type: list
    elements: str
    default: []
  kubeconfig:
    description: The kubeconfig (default C(KUBECONFIG), C(~/.kube/config), or the in-cluster service account). Cluster audit only.
    type: path
  context:
    description: A context of the kubeconfig (default its current context). Cluster audit only.
    type: str
  pods_file:
    description: Read the pods from this C(kubectl get pods -A -o json) output instead of the API. Cluster audit only.
    type: path
  timeout:
    description: Seconds the API may take to list every pod (airlock's default 30).
    type: int
  containerd:
    description: Audit this node's containerd (its socket) instead of a cluster.
    type: path
  namespace:
    description: With C(containerd), the containerd namespace (airlock's default C(k8s.io)).
    type: str
  only:
    description: With C(containerd), check only the images with these lock keys.
    type: list
    elements: str
  platform:
    description: With C(containerd), the node's platform (C(os/arch[/variant]); default the machine's).
    type: str
  names:
    description: With C(containerd), the C(REGISTRY[/PREFIX]) the images were warmed under (as C(airlock warm --names)).
    type: str
  fail_on_findings:
    description: Fail the task when airlock finds anything; false returns the findings and succeeds.
    type: bool
    default: true
notes:
  - The task runs where Ansible runs it; for a cluster audit that is usually C(localhost) or a
    control-plane node, once (C(run_once)); for a node audit, each node.
extends_documentation_fragment:
  - airlock.airlock.common
author:
  - airlock maintainers
"""

EXAMPLES = r"""
- name: The cluster runs what was shipped
  airlock.airlock.audit:
    lock: [images.lock.yaml]
    kubeconfig: ~/.kube/config

- name: Report drift without stopping the play
  airlock.airlock.audit:
    lock: [images.lock.yaml]
    pods_file: pods.json
    fail_on_findings: false
  register: drift

- name: The node's containerd holds every image of the lock, after airlock warm
  airlock.airlock.audit:
    lock: [/var/lib/airlock/images.lock.yaml]
    containerd: /run/containerd/containerd.sock
    names: registry.local:5000/mirror
"""

RETURN = r"""
clean:
  description: True when airlock found nothing.
  returned: always
  type: bool
findings:
  description:
    - Cluster audit, one per finding (code, namespace, pod, container, kind, image, message, and
      the pinned reference to use as fix, with its lock key). Codes C(registry-not-allowed),
      C(not-in-lock), C(tag-only), C(digest-drift), C(reference-invalid).
    - Node audit, one per image lacking (key, name, code, message). Codes C(image-missing),
      C(image-digest), C(content-missing), C(platform-missing).
  returned: always
  type: list
  elements: dict
registries:
  description: Cluster audit, per registry the images come from, its distinct images, pods and containers.
  returned: cluster audit
  type: list
  elements: dict
pods:
  description: Cluster audit, pods seen.
  returned: cluster audit
  type: int
containers:
  description: Cluster audit, containers checked.
  returned: cluster audit
  type: int
pending:
  description: Cluster audit, containers not running yet (pulling, creating); their digest was not checked.
  returned: cluster audit
  type: int
unverified:
  description: Cluster audit, containers whose runtime reports only an image ID, which cannot be compared with a lock.
  returned: cluster audit
  type: int
images:
  description: Node audit, images of the lock checked.
  returned: node audit
  type: int
socket:
  description: Node audit, the containerd socket checked.
  returned: node audit
  type: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airlock.airlock.plugins.module_utils.airlock import common_args, fail, json_lines, run

# Options of one kind of audit, rejected in the other rather than silently ignored.
CLUSTER_ONLY = ("allowed_registries", "kubeconfig", "context", "pods_file", "timeout")
NODE_ONLY = ("namespace", "only", "platform", "names")

# How many findings the failure message spells out (all are returned in `findings`).
NAMED_IN_MESSAGE = 10


def finding_line(f):
    """One finding as a person reads it: where, what, and the fix."""
    if "namespace" in f:
        where = "%s/%s/%s" % (f.get("namespace"), f.get("pod"), f.get("container"))
        fix = " (use %s)" % f["fix"] if f.get("fix") else ""
        return "%s %s: %s: %s%s" % (where, f.get("code"), f.get("image"), f.get("message"), fix)
    return "%s %s: %s" % (f.get("key"), f.get("code"), f.get("message"))


def result_of(report, cmd):
    """The module result from airlock's JSON document (type audit or node-audit)."""
    findings = report.get("findings") or []
    out = dict(changed=False, clean=not findings, findings=findings, cmd=cmd)
    if report.get("type") == "node-audit":
        out.update(images=report.get("images", 0), socket=report.get("socket"))
    else:
        for name in ("registries", "pods", "containers", "pending", "unverified"):
            out[name] = report.get(name, [] if name == "registries" else 0)
    return out


def summary(result):
    findings = result["findings"]
    codes = sorted(set(f.get("code") for f in findings if f.get("code")))
    what = "%d image(s)" % result["images"] if "images" in result else "%d pod(s), %d container(s)" % (result["pods"], result["containers"])
    lines = [finding_line(f) for f in findings[:NAMED_IN_MESSAGE]]
    more = len(findings) - len(lines)
    if more > 0:
        lines.append("... and %d more (see findings)" % more)
    return "airlock audit found %d finding(s) [%s] in %s: %s" % (len(findings), ", ".join(codes), what, "; ".join(lines))


def main():
    module = AnsibleModule(
        argument_spec=common_args(
            lock=dict(type="list", elements="path", required=True),
            allowed_registries=dict(type="list", elements="str", default=[]),
            kubeconfig=dict(type="path"),
            context=dict(type="str"),
            pods_file=dict(type="path"),
            timeout=dict(type="int"),
            containerd=dict(type="path"),
            namespace=dict(type="str"),
            only=dict(type="list", elements="str"),
            platform=dict(type="str"),
            names=dict(type="str"),
            fail_on_findings=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p["lock"]:
        module.fail_json(msg="lock: give the lock(s) the cluster should run")
    # Values, not presence: a role passes every option, unset ones as null.
    def given(names):
        return [n for n in names if p[n] not in (None, [], "")]

    if p["containerd"]:
        wrong = given(CLUSTER_ONLY)
        if wrong:
            module.fail_json(msg="%s: for a cluster audit, not with containerd (a node audit)" % ", ".join(wrong))
    else:
        wrong = given(NODE_ONLY)
        if wrong:
            module.fail_json(msg="%s: only with containerd (a node audit)" % ", ".join(wrong))
        if p["pods_file"] and given(("kubeconfig", "context")):
            module.fail_json(msg="pods_file: the pods come from the file, not from %s" % ", ".join(given(("kubeconfig", "context"))))
    if p["timeout"] is not None and p["timeout"] <= 0:
        module.fail_json(msg="timeout: seconds, more than 0 (got %s)" % p["timeout"])

    args = ["audit", "--json"]
    for lock in p["lock"]:
        args += ["--lock", lock]
    if p["containerd"]:
        args += ["--containerd", p["containerd"]]
        for flag in ("namespace", "platform", "names"):
            if p[flag]:
                args += ["--" + flag, p[flag]]
        for key in p["only"] or []:
            args += ["--only", key]
    else:
        for registry in p["allowed_registries"]:
            args += ["--allowed-registry", registry]
        if p["pods_file"]:
            args += ["--filename", p["pods_file"]]
        for flag in ("kubeconfig", "context"):
            if p[flag]:
                args += ["--" + flag, p[flag]]
        if p["timeout"] is not None:
            args += ["--timeout", str(p["timeout"])]

    # Read-only: runs in check mode as well.
    rc, stdout, stderr, cmd = run(module, "audit", args, check_rc=False)
    reports = [e for e in json_lines(stdout) if e.get("type") in ("audit", "node-audit")]
    # Exit 1 with a report is findings; any other exit (or 1 without a report: an error) fails with airlock's code.
    if rc not in (0, 1) or not reports:
        if rc == 0:
            module.fail_json(msg="airlock audit printed no JSON report", rc=rc, stdout=stdout, stderr=stderr, cmd=cmd)
        fail(module, "audit", rc, stdout, stderr, cmd)
    result = result_of(reports[-1], cmd)
    if rc == 1 and result["clean"]:
        fail(module, "audit", rc, stdout, stderr, cmd)
    if not result["clean"]:
        if p["fail_on_findings"]:
            module.fail_json(msg=summary(result), rc=rc, **result)
        result["msg"] = summary(result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
