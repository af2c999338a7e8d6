/**
 * Medians, ratios and goals of a benchmark run, and the table printed at the end.
 */
import type { RequestCounts } from './registry.js';
import type { ToolName } from './tools.js';

export type CaseName = 'cold' | 'no-op' | 'incremental';
export const CASES: readonly CaseName[] = ['cold', 'no-op', 'incremental'];

/** One timed run of one tool in one case. */
export interface RunRecord {
  case: CaseName;
  tool: ToolName;
  /** Which round (0-based) and whether the tool went first or second in it. */
  round: number;
  position: number;
  exitCode: number;
  wallS: number;
  userS: number;
  sysS: number;
  cpuS: number;
  peakRssBytes: number;
  requests: { source: RequestCounts; target: RequestCounts; total: number };
  /** CPU seconds the source and target registries spent during the run (read from /proc). */
  registryCpuS: { source: number; target: number };
  /**
   * CPU seconds the rest of the machine used during the run (all busy time minus the client's
   * and the registries'), and time stolen by the hypervisor: both say how quiet the machine was.
   */
  otherCpuS: number;
  stealS: number;
  /** Tags in the list the tool was given. */
  tags: number;
  /** Bytes the target was missing before the run. */
  bytesToCopy: number;
  /** Exit 0 and every check passed. */
  ok: boolean;
  problems: string[];
  command: string[];
  airlockReport?: Record<string, unknown>;
}

/** Medians over the successful runs of one tool in one case. */
export interface CaseSummary {
  runs: number;
  failed: number;
  wallS?: number;
  cpuS?: number;
  cpuSPerGiB?: number;
  peakRssBytes?: number;
  /** Largest peak RSS of any run (failed ones included). */
  maxPeakRssBytes?: number;
  requests?: number;
  requestsPerTag?: number;
  /** Source + target registry CPU seconds. */
  registryCpuS?: number;
}

export interface Goal {
  name: string;
  target: string;
  measured?: number;
  display: string;
  pass: boolean;
}

const GiB = 1024 ** 3;

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Per case, per tool: medians over the runs that succeeded. */
export function summarise(runs: RunRecord[]): Record<CaseName, Partial<Record<ToolName, CaseSummary>>> {
  const out = {} as Record<CaseName, Partial<Record<ToolName, CaseSummary>>>;
  for (const c of CASES) {
    out[c] = {};
    for (const tool of ['skopeo', 'airlock'] as const) {
      const all = runs.filter((r) => r.case === c && r.tool === tool);
      if (all.length === 0) continue;
      const ok = all.filter((r) => r.ok);
      const s: CaseSummary = { runs: all.length, failed: all.length - ok.length, maxPeakRssBytes: Math.max(...all.map((r) => r.peakRssBytes)) };
      if (ok.length > 0) {
        s.wallS = median(ok.map((r) => r.wallS));
        s.cpuS = median(ok.map((r) => r.cpuS));
        s.cpuSPerGiB = median(ok.map((r) => (r.bytesToCopy > 0 ? r.cpuS / (r.bytesToCopy / GiB) : 0)));
        s.peakRssBytes = median(ok.map((r) => r.peakRssBytes));
        s.requests = median(ok.map((r) => r.requests.total));
        s.requestsPerTag = median(ok.map((r) => r.requests.total / r.tags));
        s.registryCpuS = median(ok.map((r) => r.registryCpuS.source + r.registryCpuS.target));
      }
      out[c][tool] = s;
    }
  }
  return out;
}

/** airlock / skopeo median wall time for a case, when both have successful runs. */
export function wallRatio(s: Partial<Record<ToolName, CaseSummary>>): number | undefined {
  const a = s.airlock?.wallS;
  const k = s.skopeo?.wallS;
  return a !== undefined && k !== undefined && k > 0 ? a / k : undefined;
}

/** The goals, judged on the summaries (a case where airlock failed is a miss). */
export function goals(summary: ReturnType<typeof summarise>): Goal[] {
  const ratioGoal = (c: CaseName, limit: number): Goal => {
    const r = wallRatio(summary[c]);
    const failed = (summary[c].airlock?.failed ?? 0) > 0;
    return {
      name: `${c} wall time vs skopeo`,
      target: `<= ${limit.toFixed(2)}x`,
      ...(r !== undefined ? { measured: r } : {}),
      display: r === undefined ? 'n/a' : `${r.toFixed(2)}x${failed ? ' (some runs failed)' : ''}`,
      pass: r !== undefined && !failed && r <= limit,
    };
  };
  const cold = summary.cold.airlock;
  const cpu = cold?.cpuSPerGiB;
  const rss = Math.max(...CASES.map((c) => summary[c].airlock?.maxPeakRssBytes ?? 0));
  return [
    ratioGoal('cold', 0.6),
    ratioGoal('no-op', 0.25),
    ratioGoal('incremental', 0.3),
    {
      name: 'client CPU per GiB copied (cold)',
      target: '<= 1.50 s/GiB',
      ...(cpu !== undefined ? { measured: cpu } : {}),
      display: cpu === undefined ? 'n/a' : `${cpu.toFixed(2)} s/GiB`,
      pass: cpu !== undefined && (cold?.failed ?? 1) === 0 && cpu <= 1.5,
    },
    {
      name: 'peak RSS (largest of all airlock runs)',
      target: '< 150 MB',
      ...(rss > 0 ? { measured: rss / 1e6 } : {}),
      display: rss > 0 ? `${(rss / 1e6).toFixed(0)} MB` : 'n/a',
      pass: rss > 0 && rss < 150e6,
    },
  ];
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

const fmt = (n: number | undefined, digits = 2): string => (n === undefined ? '-' : n.toFixed(digits));

/** The results table, medians per case and tool, ratio rows, then the goals. */
export function renderTable(summary: ReturnType<typeof summarise>, goalList: Goal[]): string {
  const cols: Array<[string, number]> = [
    ['case', 12], ['tool', 15], ['runs', 5], ['wall s', 9], ['CPU s', 8], ['CPU s/GiB', 10], ['peak RSS MB', 12], ['requests', 9], ['req/tag', 8], ['registry CPU s', 15],
  ];
  const line = (cells: string[]) => cells.map((c, i) => pad(c, cols[i]![1], i > 1)).join(' ').trimEnd();
  const rows = [line(cols.map(([h]) => h)), line(cols.map(([, w]) => '-'.repeat(w)))];
  for (const c of CASES) {
    for (const tool of ['skopeo', 'airlock'] as const) {
      const s = summary[c][tool];
      if (!s) continue;
      const runs = s.failed ? `${s.runs - s.failed}/${s.runs}` : String(s.runs);
      rows.push(
        line([
          c,
          tool === 'skopeo' ? 'skopeo sync' : 'airlock',
          runs,
          s.wallS === undefined ? 'FAILED' : fmt(s.wallS),
          fmt(s.cpuS),
          c === 'cold' ? fmt(s.cpuSPerGiB) : '-',
          s.peakRssBytes === undefined ? '-' : fmt(s.peakRssBytes / 1e6, 0),
          s.requests === undefined ? '-' : fmt(s.requests, 0),
          fmt(s.requestsPerTag, 1),
          fmt(s.registryCpuS),
        ]),
      );
    }
    const a = summary[c].airlock;
    const k = summary[c].skopeo;
    const ratio = (x: number | undefined, y: number | undefined) => (x !== undefined && y !== undefined && y > 0 ? `${(x / y).toFixed(2)}x` : '-');
    if (a && k) {
      rows.push(
        line([
          '',
          'airlock/skopeo',
          '',
          ratio(a.wallS, k.wallS),
          ratio(a.cpuS, k.cpuS),
          '',
          ratio(a.peakRssBytes, k.peakRssBytes),
          ratio(a.requests, k.requests),
          '',
          ratio(a.registryCpuS, k.registryCpuS),
        ]),
      );
    }
    rows.push('');
  }
  const g = goalList.map((x) => `${pad(x.name, 40)} ${pad(x.target, 14)} ${pad(x.display, 24)} ${x.pass ? 'PASS' : 'MISS'}`);
  return [...rows, `${pad('goal', 40)} ${pad('target', 14)} ${pad('measured', 24)} result`, ...g].join('\n');
}
