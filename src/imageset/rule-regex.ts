/**
 * The regular expressions of rules with `match: regex` (TripleO's `includes`/`excludes`,
 * which tripleo-common runs as `re.search(pattern, image_name)`). Patterns come from files
 * people edit and are run against every image, so they are bounded before they are compiled:
 * a length limit, no backreferences, no repetition of a group that itself repeats or holds
 * alternatives (the shapes that backtrack exponentially), and few unbounded repeats (each
 * one multiplies the work on a non-matching name). The names they are run on are bounded too.
 */

/** Longest pattern accepted. TripleO's are a word or two (`nova-api`, `ceph.*`). */
export const MAX_PATTERN_LENGTH = 256;
/** Longest image name a pattern is run on: a valid reference is far shorter. */
export const MAX_MATCHED_NAME_LENGTH = 1024;
/** Most unbounded repeats (`*`, `+`, `{n,}`) in one pattern. */
export const MAX_UNBOUNDED_REPEATS = 4;

/** Python's named group `(?P<name>` is JavaScript's `(?<name>`; leading `(?i)`-style flags become RegExp flags. */
function translate(pattern: string): { source: string; flags: string } | string {
  let source = pattern;
  let flags = '';
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]!) {
      if (f === 'i' || f === 'm' || f === 's') {
        if (!flags.includes(f)) flags += f;
      } else {
        return `the inline flag "${f}" is not supported (only i, m and s)`;
      }
    }
    source = source.slice(inline[0].length);
  }
  if (source.includes('(?P=')) return 'backreferences ((?P=name)) are not supported: they can take exponential time';
  source = source.replace(/\(\?P</g, '(?<');
  return { source, flags };
}

interface Frame {
  /** The group holds a quantifier or an alternative somewhere inside. */
  risky: boolean;
}

/** A reason `source` may backtrack without bound, or undefined when its shape is safe. */
function backtrackingRisk(source: string): string | undefined {
  const stack: Frame[] = [{ risky: false }];
  let unbounded = 0;
  // What the last atom was: a closed group (and whether it was risky), or something else.
  let lastGroupRisky: boolean | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const top = stack[stack.length - 1]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not supported: they can take exponential time';
      i++;
      lastGroupRisky = undefined;
      continue;
    }
    if (c === '[') {
      // Skip the class: `]` right after `[` or `[^` is a literal; escapes hide `]`.
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      i = j;
      lastGroupRisky = undefined;
      continue;
    }
    if (c === '(') {
      stack.push({ risky: false });
      // `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`: the `?` is not a quantifier.
      const prefix = /^\(\?(?::|=|!|<=|<!|<[A-Za-z_][A-Za-z0-9_]*>)/.exec(source.slice(i));
      if (prefix) i += prefix[0].length - 1;
      lastGroupRisky = undefined;
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) return undefined; // unbalanced: the compiler reports it
      const closed = stack.pop()!;
      if (closed.risky) stack[stack.length - 1]!.risky = true;
      lastGroupRisky = closed.risky;
      continue;
    }
    if (c === '|') {
      top.risky = true;
      lastGroupRisky = undefined;
      continue;
    }
    const brace = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i)) : null;
    if (c === '*' || c === '+' || c === '?' || brace) {
      const upper = brace ? (brace[2] === undefined ? Number(brace[1]) : brace[3] === '' ? Infinity : Number(brace[3])) : c === '?' ? 1 : Infinity;
      if (upper === Infinity) unbounded++;
      if (upper > 1 && lastGroupRisky) return 'a repeated group may not itself hold a repeat or alternatives (e.g. (a+)+ or (a|b)*): it can take exponential time';
      top.risky = true;
      if (brace) i += brace[0].length - 1;
      // A lazy or possessive marker belongs to this quantifier.
      if (source[i + 1] === '?') i++;
      lastGroupRisky = undefined;
      continue;
    }
    lastGroupRisky = undefined;
  }
  if (unbounded > MAX_UNBOUNDED_REPEATS) return `at most ${MAX_UNBOUNDED_REPEATS} unbounded repeats (*, +, {n,}) per pattern`;
  return undefined;
}

/** A compiled pattern, or why it is refused. */
export type CompiledPattern = { ok: true; regex: RegExp } | { ok: false; reason: string };

/**
 * Compiles one `includes`/`excludes` pattern as a JavaScript RegExp searched anywhere in a
 * name (Python's `re.search`). Python's `(?P<name>...)` groups and leading `(?i)`, `(?m)`,
 * `(?s)` flags are accepted. Refused, with a reason: an empty or over-long pattern, invalid
 * syntax, backreferences, and the shapes that backtrack without bound (see the module doc).
 */
export function compileRulePattern(pattern: string): CompiledPattern {
  if (pattern.length === 0) return { ok: false, reason: 'a pattern may not be empty' };
  if (pattern.length > MAX_PATTERN_LENGTH) return { ok: false, reason: `a pattern is at most ${MAX_PATTERN_LENGTH} characters` };
  const t = translate(pattern);
  if (typeof t === 'string') return { ok: false, reason: t };
  let regex: RegExp;
  try {
    regex = new RegExp(t.source, t.flags);
  } catch (err) {
    const why = (err as Error).message.replace(/^Invalid regular expression: /, '');
    return { ok: false, reason: `not a regular expression: ${why}` };
  }
  const risk = backtrackingRisk(t.source);
  if (risk) return { ok: false, reason: risk };
  return { ok: true, regex };
}
