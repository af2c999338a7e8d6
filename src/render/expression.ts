/**
 * Solving a tool's reference expression backwards: which variable values make
 * `{{ kube_image_repo }}/kube-apiserver:{{ kube_version }}` yield a given reference.
 * Only plain `{{ name }}` placeholders between literal text can be solved; anything with a
 * filter or an operator cannot, and gives null.
 */

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The variables an expression uses, in order of first use; null when it is not solvable (see above). */
export function expressionVariables(expression: string): string[] | null {
  const names: string[] = [];
  const rest = expression.replace(PLACEHOLDER, (_m, name: string) => {
    if (!names.includes(name)) names.push(name);
    return '';
  });
  return rest.includes('{{') || rest.includes('{%') ? null : names;
}

/**
 * The values that make `expression` yield exactly `value`, or null when none do (or the
 * expression is not solvable). Each placeholder takes as much as it can, leaving the last
 * ones the least: `{{ repo }}:{{ tag }}` on `r/a:b:1` gives repo `r/a:b`, tag `1`, as a tag
 * can hold no `:`. A variable used twice must get the same value both times.
 */
export function solveExpression(expression: string, value: string): Record<string, string> | null {
  if (!expressionVariables(expression)) return null;
  const order: string[] = [];
  let pattern = '';
  let last = 0;
  for (const m of expression.matchAll(PLACEHOLDER)) {
    pattern += escapeRegExp(expression.slice(last, m.index));
    pattern += '(.+)';
    order.push(m[1]!);
    last = m.index! + m[0].length;
  }
  pattern += escapeRegExp(expression.slice(last));
  const match = new RegExp(`^${pattern}$`, 's').exec(value);
  if (!match) return null;
  const out: Record<string, string> = {};
  for (const [i, name] of order.entries()) {
    const got = match[i + 1]!;
    if (Object.hasOwn(out, name) && out[name] !== got) return null;
    out[name] = got;
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
