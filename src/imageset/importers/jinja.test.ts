import { describe, expect, it } from 'vitest';
import { JinjaError, JinjaScope, type Definition, type JinjaLimits, type JValue, type RawValue } from './jinja.js';
import { DEFAULT_LIMITS } from './jinja-errors.js';

/** A scope over `vars` (one file, a line per variable in order). */
function scopeOf(vars: Record<string, RawValue>, limits: JinjaLimits = DEFAULT_LIMITS): JinjaScope {
  const defs = new Map<string, Definition>(Object.entries(vars).map(([name, value], i) => [name, { name, file: 'vars.yml', line: i + 1, value }]));
  return new JinjaScope(defs, limits);
}

/** The value of `template` over `vars`, dicts as plain objects. */
function evaluate(template: string, vars: Record<string, RawValue> = {}): unknown {
  const v = scopeOf(vars).evaluate(template, { variable: 'x', file: 'test', expression: template });
  return plain(v);
}

function plain(v: JValue): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

/** The JinjaError evaluating `template` throws. */
function failure(template: string, vars: Record<string, RawValue> = {}, limits?: JinjaLimits): JinjaError {
  try {
    scopeOf(vars, limits).evaluate(template, { variable: 'x', file: 'test', expression: template });
  } catch (err) {
    if (err instanceof JinjaError) return err;
    throw err;
  }
  throw new Error(`expected ${template} to fail`);
}

const map = (o: Record<string, RawValue>) => new Map(Object.entries(o));

describe('Jinja expressions', () => {
  it.each([
    ["{{ (kube_version | split('.'))[:-1] | join('.') }}", 'v1.30'],
    ["{{ kube_version | regex_replace('^v([0-9])+\\.([0-9]+)\\.[0-9]+', 'v\\1.\\2') }}", 'v1.30'],
    ["{{ kube_version.split('.')[0] }}.{{ kube_version.split('.')[1] }}", 'v1.30'],
    ['{{ versions[major] }}', 'v3.5.12'],
    ["{{ versions['v1.29'] }}", 'v3.5.10'],
    ['{{ versions.get(major) }}', 'v3.5.12'],
    ['{{ nested.a.b }}', 'deep'],
    ["{{ nested['a']['b'] ~ '-' ~ nested.list.0 }}", 'deep-x'],
    ["{{ 'a' if flag else 'b' }}", 'a'],
    ["{{ 'a' if not flag else 'b' }}", 'b'],
    ["{{ missing | default('fallback') }}", 'fallback'],
    ["{{ missing | d(kube_version) }}", 'v1.30.4'],
    ["{{ '' | default('x', true) }}", 'x'],
    ["{{ kube_version | replace('.', '-') }}", 'v1-30-4'],
    ["{{ kube_version.replace('v', '') }}", '1.30.4'],
    ["{{ kube_version.startswith('v1.') }}", true],
    ["{{ kube_version is version('v1.7.1', '>=') }}", true],
    ["{{ kube_version is version('v1.30.10', '<') }}", true],
    ["{{ 'v1.30.4-rc.1' is version('v1.30.4', '<') }}", false],
    ['{{ missing is defined }}', false],
    ['{{ missing.attr is undefined }}', true],
    ['{{ none_value is none }}', true],
    ["{{ kube_version in ['v1.30.4', 'v1.29.8'] and 'x' not in 'abc' }}", true],
    ['{{ 1 + 2 * 3 }}', '7'],
    ['{{ [1, 2] + [3] }}', [1, 2, 3]],
    ["{{ versions | dict2items | map(attribute='key') | list }}", ['v1.30', 'v1.29']],
    ["{{ versions | dict2items | selectattr('value', 'version', 'v3.5.11', '>') | map(attribute='key') | first }}", 'v1.30'],
    ["{{ [{'key': 'a', 'value': 1}] | items2dict }}", { a: 1 }],
    ['{{ versions.keys() | list | last }}', 'v1.29'],
    ['{{ versions | length }}', '2'],
    ["{{ 'On' | bool }}", true],
    ['{{ none_value | bool }}', ''],
    ["{{ '42' | int + 1 }}", '43'],
    ["{{ ' Mixed ' | trim | lower }}-{{ 'x' | upper }}", 'mixed-X'],
    ['{{ {"a": [1, none, true]} | to_json }}', '{"a": [1, null, true]}'],
    ["{{ (1 == 1) | ternary('yes', 'no') }}", 'yes'],
    ['{{ [3, 1, 2] | sort | first }}', '1'],
    ["{{ '%s-%s' | format('a', 'b') }}", 'a-b'],
    ["{{ '/a/b/c.tar.gz' | basename }}", 'c.tar.gz'],
    ['{{ 10 // 3 }}/{{ -7 % 3 }}', '3/2'],
    ["{{ 'abcdef'[1:-1:2] }}", 'bd'],
  ])('%s gives %j', (template, expected) => {
    const vars = {
      kube_version: 'v1.30.4',
      major: 'v1.30',
      versions: map({ 'v1.30': 'v3.5.12', 'v1.29': 'v3.5.10' }),
      nested: map({ a: map({ b: 'deep' }), list: ['x'] }),
      flag: true,
      none_value: null,
    };
    expect(evaluate(template, vars)).toEqual(expected);
  });

  it('keeps values typed until they become text, as Ansible does', () => {
    expect(evaluate('{{ [1, none, true] }}')).toEqual([1, null, true]);
    expect(evaluate('{{ none }}')).toBe('');
    expect(evaluate('{{ 3 }}')).toBe('3');
    expect(evaluate("{{ 'True' }}")).toBe(true);
    expect(evaluate("{{ '[1, 2]' }}")).toEqual([1, 2]);
    expect(evaluate('x{{ none }}y{{ true }}')).toBe('xyTrue');
    expect(evaluate('{{ b }}', { a: "{{ 'x' == 'x' }}", b: '{{ a }}' })).toBe(true);
  });

  it('evaluates {% if %} blocks with whitespace control and trim_blocks', () => {
    const tag = "{{ etcd_version }}{%- if image_arch != 'amd64' -%}-{{ image_arch }}{%- endif -%}";
    expect(evaluate(tag, { etcd_version: 'v3.5.12', image_arch: 'amd64' })).toBe('v3.5.12');
    expect(evaluate(tag, { etcd_version: 'v3.5.12', image_arch: 'arm64' })).toBe('v3.5.12-arm64');
    expect(evaluate('{% if a %}1{% elif b %}2{% else %}3{% endif %}', { a: false, b: true })).toBe('2');
    expect(evaluate('x{% if true %}\ny{% endif %}\nz')).toBe('xyz');
    expect(evaluate('a {#- a comment -#} b')).toBe('ab');
  });

  it('translates Python regular expressions and replacement groups', () => {
    expect(evaluate("{{ 'v1.2.3' | regex_replace('^v(?P<maj>\\d+)\\.(\\d+).*$', '\\g<maj>-\\2') }}")).toBe('1-2');
    expect(evaluate("{{ 'a$b' | regex_replace('\\$', '$$') }}")).toBe('a$$b');
    expect(evaluate("{{ 'AbA' | regex_replace('a', 'x', ignorecase=true) }}")).toBe('xbx');
    expect(failure("{{ 'a' | regex_replace('(', 'b') }}").kind).toBe('invalid');
  });
});

describe('Jinja failures', () => {
  it('an undefined variable fails where it is used, naming the missing one', () => {
    const err = failure('{{ b }}', { a: 'x', b: '{{ a }}-{{ nope }}' });
    expect(err.kind).toBe('undefined');
    expect(err.undefinedName).toBe('nope');
    expect(err.where).toMatchObject({ variable: 'b', line: 2 });
  });

  it('a variable that refers to a missing one is undefined itself, so default() still applies', () => {
    expect(evaluate("{{ b | default('fallback') }}", { b: '{{ nope }}' })).toBe('fallback');
  });

  it('a missing dictionary key names the dictionary and the key', () => {
    const err = failure('{{ etcd_version }}', { versions: map({ 'v1.29': 'x' }), etcd_version: "{{ versions['v1.31'] }}" });
    expect(err.message).toBe("'versions' has no key 'v1.31'");
    expect(err.where?.variable).toBe('etcd_version');
  });

  it.each([
    ['an unknown filter', '{{ x | b64decode }}', 'unsupported'],
    ['a lookup', "{{ lookup('env', 'HOME') }}", 'unsupported'],
    ['a for loop', '{% for i in x %}{{ i }}{% endfor %}', 'unsupported'],
    ['a syntax error', '{{ x + }}', 'invalid'],
    ['an unclosed tag', '{{ x ', 'invalid'],
    ['comparing text with a number', '{{ x < 3 }}', 'invalid'],
    ['a dict inside text', 'a{{ d }}', 'invalid'],
  ])('%s is %s', (_what, template, kind) => {
    expect(failure(template, { x: 'v', d: map({ a: 1 }) }).kind).toBe(kind);
  });

  it('a cycle is reported at the variable that closes it, not as a stack overflow', () => {
    const err = failure('{{ a }}', { a: '{{ b }}', b: 'x{{ a }}' });
    expect(err.kind).toBe('cycle');
    expect(err.message).toBe('refers to itself: a -> b -> a');
    expect(err.where?.variable).toBe('a');
  });
});

describe('Jinja limits', () => {
  it('refuses text over the size limit, fast and with a short message', () => {
    const started = Date.now();
    const err = failure("{{ 'a' * 2000000 }}");
    expect(err.kind).toBe('limit');
    expect(err.message.length).toBeLessThan(200);
    expect(Date.now() - started).toBeLessThan(1000);
    // Doubling through variables hits the same limit.
    const vars: Record<string, RawValue> = { v0: 'x'.repeat(1024) };
    for (let i = 1; i <= 30; i++) vars[`v${i}`] = `{{ v${i - 1} }}{{ v${i - 1} }}`;
    expect(failure('{{ v30 }}', vars).kind).toBe('limit');
  });

  it('refuses variables nested deeper than the limit', () => {
    const vars: Record<string, RawValue> = { v0: 'x' };
    for (let i = 1; i <= 100; i++) vars[`v${i}`] = `{{ v${i - 1} }}`;
    expect(evaluate('{{ v60 }}', vars)).toBe('x');
    expect(failure('{{ v100 }}', vars).kind).toBe('limit');
  });

  it('refuses expressions nested deeper than the limit', () => {
    expect(failure(`{{ ${'('.repeat(100)}1${')'.repeat(100)} }}`).kind).toBe('limit');
    expect(failure(`{{ ${Array.from({ length: 100 }, () => "'a'").join(' ~ ')} }}`).kind).toBe('limit');
    expect(failure(`{{ x${' | string'.repeat(100)} }}`, { x: 'a' }).kind).toBe('limit');
  });

  it('stops after the work budget', () => {
    const vars: Record<string, RawValue> = {};
    for (let i = 0; i < 200; i++) vars[`v${i}`] = `{{ '${i}' ~ '-' }}`;
    const template = Array.from({ length: 200 }, (_, i) => `{{ v${i} }}`).join('');
    expect(evaluate(template, vars)).toBe(Array.from({ length: 200 }, (_, i) => `${i}-`).join(''));
    expect(failure(template, vars, { ...DEFAULT_LIMITS, maxSteps: 500 }).kind).toBe('limit');
  });
});
