import { describe, expect, it } from 'vitest';
import { compileRulePattern, MAX_PATTERN_LENGTH } from './rule-regex.js';

const ok = (p: string) => {
  const c = compileRulePattern(p);
  if (!c.ok) throw new Error(`${p}: ${c.reason}`);
  return c.regex;
};
const reason = (p: string) => {
  const c = compileRulePattern(p);
  return c.ok ? undefined : c.reason;
};

describe('compileRulePattern', () => {
  it('searches anywhere in the name, as re.search does', () => {
    expect(ok('nova-api').test('quay.io/tripleo/openstack-nova-api:current')).toBe(true);
    expect(ok('ceph.*').test('quay.io/ceph/daemon:v6')).toBe(true);
    expect(ok('^quay').test('docker.io/quay:1')).toBe(false);
    expect(ok('openstack-nova-(api|compute):').test('q/openstack-nova-compute:1')).toBe(true);
  });

  it("accepts Python's named groups and leading inline flags", () => {
    expect(ok('(?P<svc>nova)-api').test('openstack-nova-api')).toBe(true);
    expect(ok('(?i)NOVA').test('openstack-nova-api')).toBe(true);
    expect(ok('(?:nova|neutron)-(?=api)').test('neutron-api')).toBe(true);
    expect(ok('[(+*]x{2,3}').test('+xx')).toBe(true);
  });

  it('refuses invalid syntax, empty and over-long patterns', () => {
    expect(reason('nova[')).toMatch(/not a regular expression/);
    expect(reason('(nova')).toMatch(/not a regular expression/);
    expect(reason('')).toMatch(/empty/);
    expect(reason('a'.repeat(MAX_PATTERN_LENGTH + 1))).toMatch(/at most/);
    expect(reason('(?x)nova')).toMatch(/inline flag/);
  });

  it('refuses the shapes that backtrack exponentially, and backreferences', () => {
    for (const p of ['(a+)+$', '(a*)*b', '(a|aa)*c', '(.*a){2,}', '(?:x+y?)+', '((ab)*)+']) expect(reason(p), p).toMatch(/repeated group/);
    for (const p of ['(a)\\1', '(?<n>a)\\k<n>', '(?P<n>a)(?P=n)']) expect(reason(p), p).toMatch(/backreference/);
    expect(reason('.*a.*b.*c.*d.*e')).toMatch(/unbounded repeats/);
    // Bounded or unrepeated groups are fine.
    expect(reason('(ab)+')).toBeUndefined();
    expect(reason('(a+)?b')).toBeUndefined();
    expect(reason('(nova|neutron)-api.*')).toBeUndefined();
  });
});
