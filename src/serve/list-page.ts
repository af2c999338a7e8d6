/**
 * Paginated lists (tags, the catalog): the spec's `n` and `last`, its lexical order
 * (case-insensitive alphanumeric), and its `Link` header to the next page.
 */
import type { ServerResponse } from 'node:http';
import { API_VERSION } from './routes.js';

/** The spec's lexical order: case-insensitive, ties broken by code point so the order is total. */
export function lexical(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** One page of a list. */
export interface ListPage {
  items: string[];
  more: boolean;
  n?: number;
}

/** The page of `all` (any order) after `last`, at most `n` long, in lexical order; 'invalid' when `n` is not a whole number. */
export function listPage(all: string[], url: URL): ListPage | 'invalid' {
  const nText = url.searchParams.get('n');
  const last = url.searchParams.get('last');
  const n = nText === null ? undefined : Number(nText);
  if (n !== undefined && (nText === '' || !Number.isInteger(n) || n < 0)) return 'invalid';
  const sorted = [...all].sort(lexical);
  const after = last === null ? sorted : sorted.filter((x) => lexical(x, last) > 0);
  const items = n === undefined ? after : after.slice(0, n);
  return { items, more: items.length < after.length, ...(n !== undefined ? { n } : {}) };
}

/** Sends a JSON list page, with the spec's `Link` header when more follow (never for `n=0`, which asks for an empty list). */
export function sendListPage(res: ServerResponse, head: boolean, url: URL, body: object, p: ListPage): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { ...API_VERSION, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (p.more && p.n !== undefined && p.items.length > 0) {
    const next = new URL(url.pathname, 'http://x');
    next.searchParams.set('n', String(p.n));
    next.searchParams.set('last', p.items.at(-1)!);
    headers.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  res.writeHead(200, headers);
  res.end(head ? undefined : text);
}
