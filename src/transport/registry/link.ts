/**
 * The `rel="next"` target of a `Link` header (RFC 8288), resolved against `base`, or
 * undefined. Distribution paginates tag and catalog listings this way.
 */
export function nextLink(header: string | string[] | undefined, base: URL): URL | undefined {
  if (header === undefined) return undefined;
  const values = Array.isArray(header) ? header : [header];
  for (const value of values) {
    const re = /<([^>]*)>\s*((?:;\s*[^;,]+)*)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(value)) !== null) {
      const params = m[2] ?? '';
      if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(params)) {
        try {
          return new URL(m[1]!, base);
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}
