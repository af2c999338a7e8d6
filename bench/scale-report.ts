/**
 * The scale benchmark's table and goals, from the good runs only: a step whose runs all
 * failed a check shows FAILED, and a goal that depends on a failed run is never a PASS.
 */
import { median } from './report.js';
import type { StoreLookups } from './scale-store.js';
import type { StepResult } from './scale-steps.js';

export const STEPS = ['load', 'plan', 'resolve', 'mirror'] as const;
export type StepName = (typeof STEPS)[number];

/** Every run of every step at one size. */
export interface SizeRuns {
  size: number;
  runs: Record<StepName, StepResult[]>;
  store: StoreLookups | null;
}

/** Medians over a step's good runs; `failed` counts the others. */
export interface StepSummary {
  runs: number;
  failed: number;
  wallS?: number;
  cpuS?: number;
  peakRssBytes?: number;
  requestsPerImage?: number;
  /** Largest peak RSS of any run, failed ones included. */
  maxPeakRssBytes?: number;
}

export function summariseStep(results: StepResult[], size: number): StepSummary {
  const ok = results.filter((r) => r.ok);
  const s: StepSummary = { runs: results.length, failed: results.length - ok.length };
  const rss = results.map((r) => r.peakRssBytes).filter((x): x is number => x !== undefined);
  if (rss.length > 0) s.maxPeakRssBytes = Math.max(...rss);
  if (ok.length === 0) return s;
  s.wallS = median(ok.map((r) => r.wallS));
  const pick = (f: (r: StepResult) => number | undefined) => {
    const xs = ok.map(f).filter((x): x is number => x !== undefined);
    return xs.length > 0 ? median(xs) : undefined;
  };
  const cpu = pick((r) => r.cpuS);
  const peak = pick((r) => r.peakRssBytes);
  const req = pick((r) => (r.requests ? r.requests.total / size : undefined));
  if (cpu !== undefined) s.cpuS = cpu;
  if (peak !== undefined) s.peakRssBytes = peak;
  if (req !== undefined) s.requestsPerImage = req;
  return s;
}

export interface ScaleGoal {
  name: string;
  display: string;
  verdict: 'PASS' | 'MISS' | 'FAILED' | 'n/a';
}

/** The size the absolute goals are stated for, and the one linearity is judged from. */
const GOAL_SIZE = 20000;
/** Linear with 25% slack: 4x the images may take at most 5x the time. */
const LINEAR_SLACK = 1.25;

export function scaleGoals(sizes: SizeRuns[]): ScaleGoal[] {
  const goals: ScaleGoal[] = [];
  const sum = (s: SizeRuns, step: StepName) => summariseStep(s.runs[step], s.size);
  const sorted = [...sizes].sort((a, b) => a.size - b.size);
  const [prev, last] = sorted.slice(-2);
  for (const step of STEPS) {
    if (!prev || !last) {
      goals.push({ name: `${step}: linear`, display: 'needs two sizes', verdict: 'n/a' });
      continue;
    }
    const limit = LINEAR_SLACK * (last.size / prev.size);
    const name = `${step}: time at ${last.size} <= ${limit.toFixed(2)}x time at ${prev.size}`;
    const a = sum(prev, step);
    const b = sum(last, step);
    if (a.wallS === undefined || b.wallS === undefined || a.wallS <= 0) {
      goals.push({ name, display: 'a run FAILED', verdict: 'FAILED' });
      continue;
    }
    const ratio = b.wallS / a.wallS;
    const failed = a.failed + b.failed > 0;
    goals.push({
      name,
      display: `${ratio.toFixed(2)}x${failed ? ', some runs FAILED' : ''}`,
      verdict: failed ? 'FAILED' : ratio <= limit ? 'PASS' : 'MISS',
    });
  }
  // A store lookup is O(1): its cost must not grow with the number of images.
  if (prev && last) {
    const name = `store: time per lookup at ${last.size} <= ${LINEAR_SLACK.toFixed(2)}x at ${prev.size}`;
    const a = prev.store;
    const b = last.store;
    if (!a || !b || !a.ok || !b.ok) goals.push({ name, display: a && b ? 'a run FAILED' : 'not measured', verdict: a && b ? 'FAILED' : 'n/a' });
    else {
      const ratio = b.perLookupUs / a.perLookupUs;
      goals.push({ name, display: `${ratio.toFixed(2)}x`, verdict: ratio <= LINEAR_SLACK ? 'PASS' : 'MISS' });
    }
  }
  const at = sizes.find((s) => s.size === GOAL_SIZE);
  const absolute = (name: string, step: StepName, limitS: number) => {
    if (!at) return goals.push({ name, display: `${GOAL_SIZE} not run`, verdict: 'n/a' });
    const s = sum(at, step);
    if (s.wallS === undefined) return goals.push({ name, display: 'FAILED', verdict: 'FAILED' });
    return goals.push({
      name,
      display: `${s.wallS.toFixed(2)} s${s.failed ? ', some runs FAILED' : ''}`,
      verdict: s.failed ? 'FAILED' : s.wallS < limitS ? 'PASS' : 'MISS',
    });
  };
  absolute(`plan of ${GOAL_SIZE} < 1 s`, 'plan', 1);
  absolute(`resolve of ${GOAL_SIZE} < 60 s`, 'resolve', 60);
  const rssName = `peak RSS at ${GOAL_SIZE} (resolve, mirror) < 300 MB`;
  if (!at) goals.push({ name: rssName, display: `${GOAL_SIZE} not run`, verdict: 'n/a' });
  else {
    const r = sum(at, 'resolve');
    const m = sum(at, 'mirror');
    const peak = Math.max(r.maxPeakRssBytes ?? 0, m.maxPeakRssBytes ?? 0);
    const failed = r.failed + m.failed > 0;
    goals.push({
      name: rssName,
      display: peak > 0 ? `${(peak / 1e6).toFixed(0)} MB${failed ? ', some runs FAILED' : ''}` : 'no measurement',
      verdict: failed || peak === 0 ? 'FAILED' : peak < 300e6 ? 'PASS' : 'MISS',
    });
  }
  return goals;
}

const f = (n: number | undefined, d = 2) => (n === undefined ? 'FAILED' : n.toFixed(d));

/** One row per size; FAILED where a step had no good run. */
export function renderScaleTable(sizes: SizeRuns[]): string {
  const head = ['size', 'load s', 'plan s', 'resolve s', 'res CPU s', 'res RSS MB', 'res req/img', 'no-op mirror s', 'mir CPU s', 'mir RSS MB', 'mir req/img', 'store open s', 'us/lookup', 'us/read', 'us/naive'];
  const rows = [head];
  for (const s of sizes) {
    const [load, plan, res, mir] = STEPS.map((step) => summariseStep(s.runs[step], s.size));
    const runs = (x: StepSummary) => (x.failed ? ` (${x.runs - x.failed}/${x.runs})` : '');
    rows.push([
      String(s.size),
      f(load!.wallS, 3) + runs(load!),
      f(plan!.wallS, 3) + runs(plan!),
      f(res!.wallS) + runs(res!),
      f(res!.cpuS),
      res!.peakRssBytes === undefined ? '-' : (res!.peakRssBytes / 1e6).toFixed(0),
      f(res!.requestsPerImage),
      f(mir!.wallS) + runs(mir!),
      f(mir!.cpuS),
      mir!.peakRssBytes === undefined ? '-' : (mir!.peakRssBytes / 1e6).toFixed(0),
      f(mir!.requestsPerImage),
      ...(s.store
        ? s.store.ok
          ? [s.store.openS.toFixed(3), s.store.perLookupUs.toFixed(1), s.store.perManifestReadUs.toFixed(0), s.store.naivePerLookupUs.toFixed(0)]
          : ['FAILED', 'FAILED', 'FAILED', 'FAILED']
        : ['-', '-', '-', '-']),
    ]);
  }
  const widths = head.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export function renderGoals(goals: ScaleGoal[]): string {
  const w = Math.max(...goals.map((g) => g.name.length));
  const d = Math.max(...goals.map((g) => g.display.length));
  return goals.map((g) => `${g.name.padEnd(w)}  ${g.display.padEnd(d)}  ${g.verdict}`).join('\n');
}
