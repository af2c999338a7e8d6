import { AirlockError, ErrorCodes } from '../errors.js';
import type { ImageReference } from '../ref/reference.js';
import { DEFAULT_TRANSPORT, findTransport, transports } from './schemes.js';
import type { Location, Transport } from './types.js';
import { locationInvalid as fail } from './location-error.js';


/** The transport a location belongs to; INTERNAL when its scheme was never registered. */
export function transportOf(loc: Location): Transport {
  const t = findTransport(loc.scheme);
  if (!t) throw new AirlockError(ErrorCodes.INTERNAL, `no transport for scheme "${loc.scheme}"`);
  return t;
}

/** Splits `input` into its transport and the text after the prefix; bare text goes to the default transport. */
function split(input: string): { transport: Transport; body: string } {
  const s = input.trim();
  for (const t of transports()) if (s.startsWith(t.prefix)) return { transport: t, body: s.slice(t.prefix.length) };
  const scheme = /^([a-z][a-z0-9+-]*):(?!\d)/.exec(s);
  // "foo:bar" with no slash is a Docker Hub name:tag, not a scheme.
  if (scheme && s.includes('/')) {
    const known = transports().map((t) => t.syntax).join(', ');
    throw fail(input, `the "${scheme[1]}" transport is not supported (airlock reads and writes ${known})`);
  }
  return { transport: DEFAULT_TRANSPORT, body: s };
}

/**
 * Parses a location: `docker://REF`, `oci:DIR[:NAME]`, `store:[REF]`, any other registered
 * transport's form, or a bare reference (a registry image). LOCATION_INVALID (or REF_INVALID
 * for a bad reference) otherwise.
 */
export function parseLocation(input: string): Location {
  const { transport, body } = split(input);
  return transport.parse(body, input);
}

/**
 * Parses a namespace, a place that holds many images: `REGISTRY[/PREFIX]` (or
 * `docker://REGISTRY[/PREFIX]`), `store:`, `oci:DIR`. LOCATION_INVALID otherwise.
 */
export function parseNamespace(input: string): Location {
  const { transport, body } = split(input);
  return transport.parseNamespace(body, input);
}

/** The printable form of a location (`docker://...`, `oci:...`, `store:...`); parseable again. */
export function formatLocation(loc: Location): string {
  return transportOf(loc).format(loc);
}

/**
 * The shortest text that parses back to `loc`: the default transport's locations bare
 * (`quay.io/ceph/ceph:v18`), others with their prefix.
 */
export function shortLocation(loc: Location): string {
  const text = formatLocation(loc);
  return loc.scheme === DEFAULT_TRANSPORT.scheme ? text.slice(DEFAULT_TRANSPORT.prefix.length) : text;
}

/** Where image `ref` lives inside the namespace `ns` (under a registry prefix, in a layout or the store). */
export function placeImage(ns: Location, ref: ImageReference): Location {
  return transportOf(ns).place(ns, ref);
}

/** A copy of `loc` pinned to `digest` (its tag kept for naming). */
export function pinLocation(loc: Location, digest: Location['digest']): Location {
  return { ...loc, ...(digest !== undefined ? { digest } : {}) };
}
