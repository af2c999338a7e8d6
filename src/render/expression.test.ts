import { describe, expect, it } from 'vitest';
import { expressionVariables, solveExpression } from './expression.js';

describe('solveExpression', () => {
  it('finds the values that make a reference expression yield the mirrored reference', () => {
    expect(solveExpression('{{ cilium_operator_image_repo }}-generic:{{ cilium_operator_image_tag }}', 'reg.local:5000/m/cilium/operator-generic:v1.15.4')).toEqual({
      cilium_operator_image_repo: 'reg.local:5000/m/cilium/operator',
      cilium_operator_image_tag: 'v1.15.4',
    });
    expect(solveExpression('{{ kube_image_repo }}/kube-apiserver:{{ kube_version }}', 'reg:5000/k8s/kube-apiserver:v1.30.1')).toEqual({
      kube_image_repo: 'reg:5000/k8s',
      kube_version: 'v1.30.1',
    });
    expect(solveExpression('{{ atmosphere_image_prefix }}docker.io/openstackhelm/heat:{{ tag }}', 'mirror/docker.io/openstackhelm/heat:2024.1')).toEqual({
      atmosphere_image_prefix: 'mirror/',
      tag: '2024.1',
    });
  });

  it('gives null when the reference cannot come out of the expression, or values disagree', () => {
    expect(solveExpression('{{ repo }}-generic:{{ tag }}', 'reg/cilium/operator:v1')).toBeNull();
    expect(solveExpression('{{ v }}/x:{{ v }}', 'a/x:b')).toBeNull();
    expect(solveExpression('{{ v }}/x:{{ v }}', 'a/x:a')).toEqual({ v: 'a' });
    expect(solveExpression('{{ repo | default("x") }}:{{ tag }}', 'a:b')).toBeNull();
  });

  it('lists the variables of a solvable expression only', () => {
    expect(expressionVariables('{{ a }}/{{ b }}:{{ a }}')).toEqual(['a', 'b']);
    expect(expressionVariables('{{ a if b else c }}')).toBeNull();
    expect(expressionVariables('quay.io/x:1')).toEqual([]);
  });
});
