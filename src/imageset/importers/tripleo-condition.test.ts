import { describe, expect, it } from 'vitest';
import { allOf, conditionParameter, conditionVariables, describeCondition, evaluateCondition, negate, parseCondition } from './tripleo-condition.js';

const name = (text: string) => conditionParameter(parseCondition(text));
const holds = (text: string, values: Record<string, string | boolean>) => evaluateCondition(parseCondition(text), values);

describe('TripleO image list conditions', () => {
  it('names each condition as the boolean parameter that stands for it', () => {
    expect(name('ceph_images')).toBe('ceph_images');
    expect(name('not rhel_containers')).toBe('not_rhel_containers');
    expect(name('neutron_driver == "ovn"')).toBe('neutron_driver_ovn');
    expect(name("neutron_driver != 'odl'")).toBe('neutron_driver_not_odl');
    expect(name('ceph3_namespace is defined')).toBe('ceph3_namespace_defined');
    expect(name('namespace_stein is not defined')).toBe('namespace_stein_undefined');
    expect(name('ceph_images and (neutron_driver == "ovn" or neutron_driver == "odl")')).toBe('ceph_images_and_neutron_driver_ovn_or_neutron_driver_odl');
    expect(name('not (a or b)')).toBe('not_a_and_not_b');
  });

  it('evaluates as Jinja does: undefined is false, equal to nothing, and a string is true unless empty', () => {
    expect(holds('ceph_images', { ceph_images: true })).toBe(true);
    expect(holds('ceph_images', {})).toBe(false);
    expect(holds('ceph_images', { ceph_images: 'false' })).toBe(true);
    expect(holds('ceph_images', { ceph_images: '' })).toBe(false);
    expect(holds('not rhel_containers', { rhel_containers: false })).toBe(true);
    expect(holds('neutron_driver == "ovn"', { neutron_driver: 'ovn' })).toBe(true);
    expect(holds('neutron_driver == "ovn"', {})).toBe(false);
    expect(holds('neutron_driver != "ovn"', {})).toBe(true);
    expect(holds('x == 1', { x: '1' })).toBe(true);
    expect(holds('x == "true"', { x: true })).toBe(false);
    expect(holds('a is defined and not b', { a: '' })).toBe(true);
    expect(holds('a or b and c', { a: false, b: true, c: false })).toBe(false);
    expect(holds('(a or b) and c', { a: false, b: true, c: true })).toBe(true);
  });

  it('combines elif branches: the ovn branch after odl is just neutron_driver == ovn; else is neither', () => {
    const odl = parseCondition('neutron_driver == "odl"');
    const ovn = parseCondition('neutron_driver == "ovn"');
    expect(conditionParameter(allOf([negate(odl), ovn])!)).toBe('neutron_driver_ovn');
    const otherwise = allOf([negate(odl), negate(ovn)])!;
    expect(conditionParameter(otherwise)).toBe('neutron_driver_not_odl_or_ovn');
    expect(describeCondition(otherwise)).toBe('neutron_driver != "odl" and neutron_driver != "ovn"');
    expect(evaluateCondition(otherwise, { neutron_driver: 'other' })).toBe(true);
    expect(allOf([])).toBeUndefined();
    expect(conditionVariables(parseCondition('a and (b or not c) and a == "x"'))).toEqual(['a', 'b', 'c']);
  });

  it('refuses what it cannot keep as a parameter, saying what', () => {
    expect(() => parseCondition('neutron_driver in ["ovn"]')).toThrow(/unexpected|cannot read/);
    expect(() => parseCondition('x is none')).toThrow(/is defined/);
    expect(() => parseCondition('x == y')).toThrow(/quoted string or a number/);
    expect(() => parseCondition('x | length')).toThrow(/cannot read/);
    expect(() => parseCondition('(x')).toThrow(/not closed/);
    expect(() => parseCondition('')).toThrow(/empty/);
    expect(() => parseCondition('a and '.repeat(60) + 'b')).toThrow(/at most/);
    expect(() => parseCondition(`${'not ('.repeat(20)}a${')'.repeat(20)}`)).toThrow(/nested/);
  });
});
