import { describe, expect, it } from 'vitest';
import { nextLink } from './link.js';

describe('nextLink', () => {
  const base = new URL('http://127.0.0.1:5000/v2/a/tags/list?n=2');

  it('resolves a relative next link against the request URL', () => {
    expect(nextLink('</v2/a/tags/list?last=b&n=2>; rel="next"', base)?.href).toBe(
      'http://127.0.0.1:5000/v2/a/tags/list?last=b&n=2',
    );
  });

  it('picks rel=next among several links and ignores others', () => {
    expect(nextLink('<https://x/prev>; rel="prev", <https://x/next>; rel=next', base)?.href).toBe('https://x/next');
    expect(nextLink('<https://x/prev>; rel="prev"', base)).toBeUndefined();
    expect(nextLink(undefined, base)).toBeUndefined();
  });
});
