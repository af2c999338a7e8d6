# -*- coding: utf-8 -*-
"""Running the airlock CLI from a module: finding it, its --json output and its stable error codes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shlex

# airlock prints one line `airlock: error [CODE]: message` on stderr for any error that
# stops a command; the code is stable, the message is for people.
_ERROR_LINE = re.compile(r"^airlock: error \[([A-Z0-9_]+)\]: (.*)$", re.MULTILINE)

# airlock's exit codes (README "Exit codes"), named in failure messages.
EXIT_MEANING = {
    1: "failure",
    2: "invalid input",
    3: "some images failed",
    4: "authentication refused",
    130: "interrupted",
    143: "terminated",
}

# Options every module takes, merged into each module's argument_spec.
COMMON_ARGS = dict(
    airlock_bin=dict(type="str", default="airlock"),
    store=dict(type="path"),
    insecure_registry=dict(type="list", elements="str", default=[]),
    extra_args=dict(type="list", elements="str", default=[]),
)


def common_args(**specific):
    spec = dict(COMMON_ARGS)
    spec.update(specific)
    return spec


def airlock_command(module):
    """The command that runs airlock: a path, or a name looked up on PATH; fails clearly when missing."""
    binary = module.params["airlock_bin"]
    # A value with spaces is a command line (`node /opt/airlock/dist/cli/main.js`).
    argv = shlex.split(binary)
    if not argv:
        module.fail_json(msg="airlock_bin is empty")
    if os.sep not in argv[0]:
        found = module.get_bin_path(argv[0], required=False)
        if not found:
            module.fail_json(msg="airlock not found: %r is not on PATH (install airlock or set airlock_bin)" % argv[0])
        argv[0] = found
    elif not os.access(argv[0], os.X_OK):
        module.fail_json(msg="airlock not found: %s is not an executable file (airlock_bin)" % argv[0])
    return argv


def registry_flags(module):
    """Flags shared by the commands that talk to registries or the store."""
    args = []
    for host in module.params.get("insecure_registry") or []:
        args += ["--insecure-registry", host]
    if module.params.get("store"):
        args += ["--store", module.params["store"]]
    return args


def error_of(stderr):
    """(code, message) of the last airlock error line in stderr, or (None, None)."""
    found = _ERROR_LINE.findall(stderr or "")
    return found[-1] if found else (None, None)


def json_lines(stdout):
    """The JSON objects of a --json event stream (one per line); other lines are ignored."""
    events = []
    for line in (stdout or "").splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
    return events


def fail(module, what, rc, stdout, stderr, cmd, codes=None, **extra):
    """Fails the task naming airlock's error code(s): `airlock mirror failed [REGISTRY_UNAUTHORIZED] (exit 4, ...): ...`."""
    code, message = error_of(stderr)
    all_codes = [c for c in ([code] if code else []) + list(codes or []) if c]
    unique = sorted(set(all_codes), key=all_codes.index)
    tag = " [%s]" % ", ".join(unique) if unique else ""
    meaning = EXIT_MEANING.get(rc, "exit %s" % rc)
    detail = message or _last_line(stderr) or "no error message"
    module.fail_json(
        msg="airlock %s failed%s (exit %s, %s): %s" % (what, tag, rc, meaning, detail),
        rc=rc,
        error_code=unique[0] if unique else None,
        error_codes=unique,
        cmd=cmd,
        stdout=stdout,
        stderr=stderr,
        **extra
    )


def _last_line(text):
    lines = [l for l in (text or "").splitlines() if l.strip()]
    return lines[-1] if lines else ""


def run(module, what, args, cwd=None, check_rc=True, environ_update=None):
    """Runs `airlock ARGS`; returns (rc, stdout, stderr, cmd). Fails the task on a non-zero exit when check_rc."""
    cmd = airlock_command(module) + list(args) + list(module.params.get("extra_args") or [])
    env = {"NO_COLOR": "1"}
    env.update(environ_update or {})
    rc, stdout, stderr = module.run_command(cmd, cwd=cwd, environ_update=env)
    if rc != 0 and check_rc:
        fail(module, what, rc, stdout, stderr, cmd)
    return rc, stdout, stderr, cmd


def copy_results(events):
    """(results, summary) of a copy engine's --json stream: each image-done result, and the summary."""
    results = [e["result"] for e in events if e.get("type") == "image-done" and isinstance(e.get("result"), dict)]
    summaries = [e for e in events if e.get("type") == "summary"]
    return results, (summaries[-1] if summaries else None)


def failed_codes(results):
    return [r["error"]["code"] for r in results if r.get("status") == "failed" and isinstance(r.get("error"), dict)]


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (IOError, OSError):
        return None


def normalise_key(name):
    """airlock's image key for an imported name (src/imageset/importers/keys.ts normaliseKey)."""
    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if key == "":
        return "image"
    return "image_" + key if key[0].isdigit() else key


def run_copy(module, what, args, only=None):
    """
    Runs a copy-engine command (mirror, bundle import) with --json, and --dry-run in check mode,
    once per key of `only` (the CLI's --only takes one); returns the module result.
    changed is true when an image was copied (check mode: would be), from airlock's own results.
    """
    runs = [["--only", key] for key in only] if only else [[]]
    results = []
    summaries = []
    cmds = []
    for extra in runs:
        full = list(args) + extra + ["--json"] + (["--dry-run"] if module.check_mode else [])
        rc, stdout, stderr, cmd = run(module, what, full, check_rc=False)
        cmds.append(cmd)
        got, summary = copy_results(json_lines(stdout))
        results += got
        if summary:
            summaries.append(summary)
        if rc != 0:
            fail(module, what, rc, stdout, stderr, cmd, codes=failed_codes(got), images=results)
    copied = [r for r in results if r.get("status") in ("copied", "planned")]
    return dict(
        changed=bool(copied),
        images=results,
        copied=len([r for r in results if r.get("status") == "copied"]),
        planned=len([r for r in results if r.get("status") == "planned"]),
        up_to_date=len([r for r in results if r.get("status") == "up-to-date"]),
        bytes_sent=sum(s.get("bytesSent", 0) for s in summaries),
        cmd=cmds[-1] if len(cmds) == 1 else cmds,
    )


def set_value(value):
    """A --set value as airlock reads it: YAML-style true/false for booleans (Python would say True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "%s" % value


def put_content(module, dest, content, mode=None):
    """
    Writes `content` (bytes) to `dest` through a temp file and a rename when it differs from
    what is there (never in check mode); returns (changed, diff).
    """
    before = read_bytes(dest)
    changed = before != content
    diff = dict(
        before_header=dest,
        after_header=dest,
        before=(before or b"").decode("utf-8", "replace"),
        after=content.decode("utf-8", "replace"),
    )
    if changed and not module.check_mode:
        staged = temp_beside(module, dest, ".tmp")
        try:
            with open(staged, "wb") as f:
                f.write(content)
            module.atomic_move(staged, dest)
        finally:
            if os.path.exists(staged):
                os.remove(staged)
    if mode is not None and os.path.exists(dest) and not module.check_mode:
        changed = module.set_mode_if_different(dest, mode, changed)
    return changed, diff


def temp_beside(module, dest, suffix):
    """A temp file name in dest's directory (so the final rename is atomic); fails when the directory is missing."""
    folder = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(folder):
        module.fail_json(msg="%s: directory %s does not exist" % (dest, folder))
    return os.path.join(folder, ".%s.airlock-%d%s" % (os.path.basename(dest), os.getpid(), suffix))
