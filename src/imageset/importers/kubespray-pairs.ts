/**
 * Plain vars files without Kubespray's `downloads:` table (an operator's overrides, an image
 * list written in Kubespray's style): each `foo_image_repo` with a `foo_image_tag` is image
 * `foo`, pinned when `foo_digest_checksum` is set. A `*_image_repo` without a tag
 * (`kube_image_repo`) is a registry, not an image.
 */
import type { Definition, JinjaWhere } from './jinja.js';
import { rawText } from './jinja.js';
import { Requests } from './evaluate.js';
import { checkedDigest, checkedReference, checkedText, valueProblem } from './kubespray-image.js';
import type { ImportPlan } from './kubespray-plan.js';
import { Problems } from './problems.js';
import { KeyAllocator } from './keys.js';

const REPO = '_image_repo';
const TAG = '_image_tag';
const DIGEST = '_digest_checksum';

/** Where a variable is defined, as problems name it. */
export function whereOf(d: Definition): JinjaWhere {
  return { variable: d.name, file: d.file, ...(d.line ? { line: d.line } : {}), expression: rawText(d.value) };
}

interface Pair {
  base: string;
  repo: Definition;
  tag: Definition;
  digest?: Definition;
  /** Request indices of repo, tag and digest. */
  at: [number, number, number | undefined];
}

/** True when `name` is one of the variables this importer reads images from. */
export function isImageVariable(name: string): boolean {
  return name.endsWith(REPO) || name.endsWith(TAG) || name.endsWith(DIGEST);
}

/**
 * The plan for the image variables among `defs`, in definition order (which gives the keys,
 * deduplicated in that order). A checksum without its image, an empty repo or tag, a bad
 * digest or reference are problems.
 */
export function planPairs(defs: ReadonlyMap<string, Definition>): ImportPlan {
  const requests = new Requests();
  const problems = new Problems();
  const pairs: Pair[] = [];
  for (const d of defs.values()) {
    if (d.name.endsWith(DIGEST) && !defs.has(`${d.name.slice(0, -DIGEST.length)}${REPO}`)) {
      problems.add(valueProblem(whereOf(d), `gives a digest for an image that has no ${d.name.slice(0, -DIGEST.length)}${REPO}`));
    }
    if (!d.name.endsWith(REPO)) continue;
    const base = d.name.slice(0, -REPO.length);
    const tag = defs.get(`${base}${TAG}`);
    if (!tag) continue;
    const digest = defs.get(`${base}${DIGEST}`);
    const ask = (v: Definition) => requests.add(`{{ ${v.name} }}`, whereOf(v));
    pairs.push({ base, repo: d, tag, ...(digest ? { digest } : {}), at: [ask(d), ask(tag), digest ? ask(digest) : undefined] });
  }
  return {
    requests: requests.list,
    finish(outcomes) {
      const keys = new KeyAllocator();
      const images: Record<string, { ref: string }> = {};
      const add = (p: Parameters<Problems['add']>[0]) => problems.add(p);
      for (const pair of pairs) {
        const [r, t, c] = pair.at;
        const repo = checkedText(outcomes[r]!, whereOf(pair.repo));
        const tag = checkedText(outcomes[t]!, whereOf(pair.tag));
        const checksum = c === undefined ? null : checkedText(outcomes[c]!, whereOf(pair.digest!), true);
        if (!repo.ok || !tag.ok || (checksum && !checksum.ok)) {
          for (const x of [repo, tag, checksum]) if (x && !x.ok) add(x.problem);
          continue;
        }
        const digest = checksum ? checkedDigest(checksum.value, whereOf(pair.digest!)) : ({ ok: true, value: null } as const);
        if (!digest.ok) {
          add(digest.problem);
          continue;
        }
        const ref = checkedReference(repo.value, tag.value, digest.value, whereOf(pair.repo));
        if (ref.ok) images[keys.allocate(pair.base)] = { ref: ref.value };
        else add(ref.problem);
      }
      problems.throwIfAny();
      const sorted = Object.keys(images).sort();
      const set = { version: 1 as const, parameters: {}, images: Object.fromEntries(sorted.map((k) => [k, images[k]!])), rules: [], credentials: {} };
      return { set, notes: [], warnings: [] };
    },
  };
}
