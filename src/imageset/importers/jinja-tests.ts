/**
 * Jinja's and Ansible's tests (`x is defined`, `x is version('1.2', '>=')`, ...), the
 * subset Kubespray's variables use. An unknown test is `unsupported`.
 */
import { bind, type TestFn } from './jinja-call.js';
import { JinjaError } from './jinja-errors.js';
import { pythonRegExp } from './jinja-regex.js';
import { compare, contains, equal, isDict, isList, isUndef, need, pyStr, truthy, type JValue } from './jinja-values.js';
import { versionTest } from './jinja-version.js';

const text = (v: JValue): string => pyStr(need(v));

const version: TestFn = (value, args) => {
  const a = bind('version', args, ['version', 'operator', 'strict', 'version_type']);
  if (a.version === undefined) throw new JinjaError('invalid', 'version needs a version to compare with');
  const type = a.version_type === undefined ? 'loose' : text(a.version_type);
  if (!['loose', 'semver', 'semantic', 'pep440', 'strict'].includes(type)) throw new JinjaError('invalid', `unknown version_type ${type}`);
  return versionTest(text(value), text(a.version), a.operator === undefined ? 'eq' : text(a.operator));
};

const regexTest =
  (mode: 'match' | 'search'): TestFn =>
  (value, args) => {
    const a = bind(mode, args, ['pattern', 'ignorecase', 'multiline']);
    const re = pythonRegExp(text(a.pattern ?? ''), { ignorecase: a.ignorecase !== undefined && truthy(a.ignorecase), multiline: a.multiline !== undefined && truthy(a.multiline) });
    const m = re.exec(text(value));
    return m !== null && (mode === 'search' || m.index === 0);
  };

const compareTest =
  (ok: (c: number) => boolean): TestFn =>
  (value, args) =>
    ok(compare(value, bind('comparison', args, ['other']).other ?? null));

/** The tests by name. */
export const TESTS: Record<string, TestFn> = {
  defined: (v) => !isUndef(v),
  undefined: (v) => isUndef(v),
  none: (v) => need(v) === null,
  string: (v) => typeof need(v) === 'string',
  number: (v) => typeof need(v) === 'number',
  integer: (v) => Number.isInteger(need(v)),
  float: (v) => typeof need(v) === 'number' && !Number.isInteger(v),
  boolean: (v) => typeof need(v) === 'boolean',
  true: (v) => need(v) === true,
  false: (v) => need(v) === false,
  truthy: (v) => truthy(v),
  falsy: (v) => !truthy(v),
  mapping: (v) => isDict(need(v)),
  sequence: (v) => {
    const d = need(v);
    return typeof d === 'string' || isList(d) || isDict(d);
  },
  iterable: (v) => {
    const d = need(v);
    return typeof d === 'string' || isList(d) || isDict(d);
  },
  version,
  version_compare: version,
  in: (v, args) => contains(bind('in', args, ['seq']).seq ?? null, v),
  contains: (v, args) => contains(v, bind('contains', args, ['item']).item ?? null),
  eq: (v, args) => equal(v, bind('eq', args, ['other']).other ?? null),
  equalto: (v, args) => equal(v, bind('equalto', args, ['other']).other ?? null),
  '==': (v, args) => equal(v, bind('==', args, ['other']).other ?? null),
  ne: (v, args) => !equal(v, bind('ne', args, ['other']).other ?? null),
  '!=': (v, args) => !equal(v, bind('!=', args, ['other']).other ?? null),
  sameas: (v, args) => need(v) === need(bind('sameas', args, ['other']).other ?? null),
  lt: compareTest((c) => c < 0),
  le: compareTest((c) => c <= 0),
  gt: compareTest((c) => c > 0),
  ge: compareTest((c) => c >= 0),
  '<': compareTest((c) => c < 0),
  '<=': compareTest((c) => c <= 0),
  '>': compareTest((c) => c > 0),
  '>=': compareTest((c) => c >= 0),
  match: regexTest('match'),
  search: regexTest('search'),
  regex: regexTest('search'),
};
