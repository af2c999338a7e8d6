/**
 * Template parameters from `ContainerImagePrepare`'s `set`, adjusted as TripleO adjusts them
 * before rendering its image list, and the boolean parameters that stand for the list's
 * `{% if %}` conditions.
 */
import type { ParamValue } from '../types.js';
import { conditionParameter, conditionVariables, describeCondition, evaluateCondition, type Condition } from './tripleo-condition.js';
import type { PrepareEnvironment } from './tripleo-prepare.js';
import type { TemplateEntry } from './tripleo-template.js';

/** The `neutron_driver` TripleO renders the image list with, and why. */
export interface NeutronDriver {
  value: string;
  why: string;
}

/**
 * TripleO (`set_neutron_driver`) always sets `neutron_driver` from the deployment's
 * `NeutronMechanismDrivers`: `odl` with opendaylight_v2, else `ovn` with ovn, else `other`;
 * `ovn` when the parameter is not given. A `set` value is overridden.
 */
export function neutronDriverOf(env: PrepareEnvironment): NeutronDriver {
  const nmd = env.neutronMechanismDrivers;
  if (!nmd) return { value: 'ovn', why: 'NeutronMechanismDrivers is not in the given environment files, so TripleO uses ovn' };
  // Python's `in`: a substring of a string, a member of a list.
  const has = (d: string) => (Array.isArray(nmd.value) ? nmd.value.includes(d) : nmd.value.includes(d));
  const value = has('opendaylight_v2') ? 'odl' : has('ovn') ? 'ovn' : 'other';
  return { value, why: `from NeutronMechanismDrivers (${nmd.file}${nmd.line ? `:${nmd.line}` : ''})` };
}

/**
 * An entry's `set` as TripleO renders with it: `name_prefix` gets a trailing `-` and
 * `name_suffix` a leading one when they lack it (`container_images_template_inputs`), and
 * `neutron_driver` is the deployment's when the set names one or the list uses it. Each
 * change is noted.
 */
export function templateInputs(
  set: Readonly<Record<string, ParamValue>>,
  where: string,
  neutron: NeutronDriver | undefined,
  notes: string[],
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = { ...set };
  const prefix = out.name_prefix;
  if (typeof prefix === 'string' && prefix !== '' && !prefix.endsWith('-')) {
    out.name_prefix = `${prefix}-`;
    notes.push(`${where}.set.name_prefix "${prefix}" is used as "${prefix}-", as TripleO adds the hyphen`);
  }
  const suffix = out.name_suffix;
  if (typeof suffix === 'string' && suffix !== '' && !suffix.startsWith('-')) {
    out.name_suffix = `-${suffix}`;
    notes.push(`${where}.set.name_suffix "${suffix}" is used as "-${suffix}", as TripleO adds the hyphen`);
  }
  if (neutron && Object.hasOwn(out, 'neutron_driver') && out.neutron_driver !== neutron.value) {
    notes.push(`${where}.set.neutron_driver "${String(out.neutron_driver)}" is replaced by "${neutron.value}": ${neutron.why}`);
  }
  if (neutron && Object.hasOwn(out, 'neutron_driver')) out.neutron_driver = neutron.value;
  return out;
}

/** The parameter that switches the images under one condition. */
export interface ConditionSwitch {
  condition: Condition;
  /** The parameter named in `enabled_by`. */
  parameter: string;
  /** False when the condition is a plain boolean parameter used as it is (`ceph_images`). */
  derived: boolean;
  /** Where the condition is first written. */
  line: number;
}

/** True for values a plain `{% if name %}` can use directly as `enabled_by`. */
const plainBoolean = (v: ParamValue | undefined) => v === undefined || typeof v === 'boolean';

/**
 * One switch per distinct condition of the image list, keyed by its Jinja text. A bare
 * variable whose value is a boolean (or that is not set) is its own switch; any other
 * condition gets a derived parameter named after it (`neutron_driver_ovn`,
 * `not_rhel_containers`), renamed with an `if_` prefix if a `set` already uses that name.
 */
export function conditionSwitches(entries: readonly TemplateEntry[], parameters: Readonly<Record<string, ParamValue>>, taken: ReadonlySet<string>): Map<string, ConditionSwitch> {
  const out = new Map<string, ConditionSwitch>();
  const names = new Set<string>();
  for (const e of entries) {
    if (!e.condition) continue;
    const text = describeCondition(e.condition);
    if (out.has(text)) continue;
    const c = e.condition;
    const plain = c.kind === 'var' && plainBoolean(Object.hasOwn(parameters, c.name) ? parameters[c.name] : undefined);
    let parameter = conditionParameter(c);
    if (!plain) {
      if (taken.has(parameter)) parameter = `if_${parameter}`;
      for (let n = 2; names.has(parameter); n++) parameter = `${conditionParameter(c)}_${n}`;
    }
    names.add(parameter);
    out.set(text, { condition: c, parameter, derived: !plain, line: e.conditionLine ?? e.line });
  }
  return out;
}

/**
 * The derived switches a later entry's `set` changes: each one whose condition reads a
 * variable `set` gives, evaluated as Jinja would over `base` with `set` on top.
 */
export function switchValues(
  switches: ReadonlyMap<string, ConditionSwitch>,
  base: Readonly<Record<string, ParamValue>>,
  set: Readonly<Record<string, ParamValue>>,
): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  const values = { ...base, ...set };
  for (const s of switches.values()) {
    if (s.derived && conditionVariables(s.condition).some((v) => Object.hasOwn(set, v))) out[s.parameter] = evaluateCondition(s.condition, values);
  }
  return out;
}
