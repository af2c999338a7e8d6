/** One authentication challenge from a `WWW-Authenticate` header. */
export interface Challenge {
  /** Lower-case scheme: `bearer`, `basic`, ... */
  scheme: string;
  /** Parameters with lower-case names (`realm`, `service`, `scope`, `error`). */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const SPACE = /[ \t]*/y;
// Lenient: some servers send unquoted URLs as values, which are not RFC tokens.
const BARE_VALUE = /[^,\s]*/y;

/**
 * Parses `WWW-Authenticate` values (RFC 7235): several challenges per header, parameters
 * with quoted values that may contain commas and `\"` escapes. Unparseable tails are dropped
 * rather than failing, since a registry that then rejects us reports the real problem.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  if (Array.isArray(header)) return header.flatMap((h) => parseChallenges(h));
  const out: Challenge[] = [];
  const s = header;
  let i = 0;

  const skip = (): void => {
    SPACE.lastIndex = i;
    SPACE.exec(s);
    i = SPACE.lastIndex;
  };
  const token = (): string | null => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(s);
    if (!m) return null;
    i = TOKEN.lastIndex;
    return m[0];
  };
  const quoted = (): string => {
    // s[i] is the opening quote.
    let v = '';
    i++;
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      v += s[i];
      i++;
    }
    i++; // closing quote
    return v;
  };

  const bare = (): string => {
    BARE_VALUE.lastIndex = i;
    const m = BARE_VALUE.exec(s)!;
    i = BARE_VALUE.lastIndex;
    return m[0];
  };

  let current: Challenge | null = null;
  while (i < s.length) {
    skip();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const name = token();
    if (name === null) break;
    skip();
    if (s[i] === '=' && current) {
      // A parameter of the current challenge (token68 values like `abc==` end here too).
      i++;
      skip();
      const value = s[i] === '"' ? quoted() : bare();
      current.params[name.toLowerCase()] = value;
      continue;
    }
    if (s[i] === '=' && !current) {
      i = start;
      break;
    }
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

/** The first challenge with `scheme`, if any. */
export function findChallenge(challenges: Challenge[], scheme: 'bearer' | 'basic'): Challenge | undefined {
  return challenges.find((c) => c.scheme === scheme);
}
