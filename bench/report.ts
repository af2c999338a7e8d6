/**
 * Medians, ratios and goals of a benchmark run, and the table printed at the end.
 */
import type { RequestCounts } from './registry.js';
import { ALL_TOOLS, isSkopeo, TOOL_LABEL, type ToolName } from './tools.js';

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
  /** Requests per tag other than `GET /v2/` pings (one per registry and process, whatever the work). */
  requestsPerTagNoPing?: number;
  /** Pings (`GET /v2/`) per run. */
  pings?: number;
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

function pingsOf(r: RunRecord): number {
  return (r.requests.source.byKind['GET ping'] ?? 0) + (r.requests.target.byKind['GET ping'] ?? 0);
}

/** Per case, per tool: medians over the runs that succeeded. */
export function summarise(runs: RunRecord[]): Record<CaseName, Partial<Record<ToolName, CaseSummary>>> {
  const out = {} as Record<CaseName, Partial<Record<ToolName, CaseSummary>>>;
  for (const c of CASES) {
    out[c] = {};
    for (const tool of ALL_TOOLS) {
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
        s.requestsPerTagNoPing = median(ok.map((r) => (r.requests.total - pingsOf(r)) / r.tags));
        s.pings = median(ok.map(pingsOf));
        s.registryCpuS = median(ok.map((r) => r.registryCpuS.source + r.registryCpuS.target));
      }
      out[c][tool] = s;
    }
  }
  return out;
}

/** `a` / `b` median wall time for a case, when both have successful runs. */
export function wallRatio(s: Partial<Record<ToolName, CaseSummary>>, a: ToolName, b: ToolName): number | undefined {
  const x = s[a]?.wallS;
  const y = s[b]?.wallS;
  return x !== undefined && y !== undefined && y > 0 ? x / y : undefined;
}

/** Client CPU seconds per GiB copied in the cold case. */
const CPU_PER_GIB_LIMIT = 2.5;

/** The goals, judged on the summaries (a case where airlock failed is a miss). */
export function goals(summary: ReturnType<typeof summarise>): Goal[] {
  const ratioGoal = (c: CaseName, baseline: ToolName, limit: number): Goal | undefined => {
    if (!summary[c].airlock || !summary[c][baseline]) return undefined;
    const r = wallRatio(summary[c], 'airlock', baseline);
    const failed = (summary[c].airlock?.failed ?? 0) > 0;
    return {
      name: `${c} wall time vs ${TOOL_LABEL[baseline]}`,
      target: `<= ${limit.toFixed(2)}x`,
      ...(r !== undefined ? { measured: r } : {}),
      display: r === undefined ? 'FAILED' : `${r.toFixed(2)}x${failed ? ' (some runs FAILED)' : ''}`,
      pass: r !== undefined && !failed && r <= limit,
    };
  };
  const cold = summary.cold.airlock;
  const cpu = cold?.cpuSPerGiB;
  const rss = Math.max(...CASES.flatMap((c) => [summary[c].airlock?.maxPeakRssBytes ?? 0, summary[c]['airlock-lock']?.maxPeakRssBytes ?? 0]));
  const lock = summary['no-op']['airlock-lock'];
  const limits: Record<CaseName, number> = { cold: 0.6, 'no-op': 0.25, incremental: 0.3 };
  const list: Array<Goal | undefined> = [];
  for (const c of CASES) for (const baseline of ['skopeo-sync', 'skopeo-copy'] as const) list.push(ratioGoal(c, baseline, limits[c]));
  if (cold) {
    list.push({
      name: 'client CPU per GiB copied (cold)',
      target: `<= ${CPU_PER_GIB_LIMIT.toFixed(2)} s/GiB`,
      ...(cpu !== undefined ? { measured: cpu } : {}),
      display: cpu === undefined ? 'FAILED' : `${cpu.toFixed(2)} s/GiB`,
      pass: cpu !== undefined && cold.failed === 0 && cpu <= CPU_PER_GIB_LIMIT,
    });
    list.push({
      name: 'peak RSS (largest of all airlock runs)',
      target: '< 150 MB',
      ...(rss > 0 ? { measured: rss / 1e6 } : {}),
      display: rss > 0 ? `${(rss / 1e6).toFixed(0)} MB` : 'n/a',
      pass: rss > 0 && rss < 150e6,
    });
  }
  if (lock) {
    const n = lock.requestsPerTagNoPing;
    list.push({
      name: 'lock no-op requests per image',
      target: '<= 1 (+ pings)',
      ...(n !== undefined ? { measured: n } : {}),
      display: n === undefined ? 'FAILED' : `${n.toFixed(2)} (+ ${fmt(lock.pings, 0)} pings)${lock.failed ? ' (some runs FAILED)' : ''}`,
      pass: n !== undefined && lock.failed === 0 && n <= 1,
    });
  }
  return list.filter((g): g is Goal => g !== undefined);
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

const fmt = (n: number | undefined, digits = 2): string => (n === undefined ? '-' : n.toFixed(digits));

/** The results table, medians per case and tool, ratio rows, then the goals. */
export function renderTable(summary: ReturnType<typeof summarise>, goalList: Goal[]): string {
  const cols: Array<[string, number]> = [
    ['case', 12], ['tool', 25], ['runs', 5], ['wall s', 9], ['CPU s', 8], ['CPU s/GiB', 10], ['peak RSS MB', 12], ['requests', 9], ['req/tag', 8], ['registry CPU s', 15],
  ];
  const line = (cells: string[]) => cells.map((c, i) => pad(c, cols[i]![1], i > 1)).join(' ').trimEnd();
  const rows = [line(cols.map(([h]) => h)), line(cols.map(([, w]) => '-'.repeat(w)))];
  const ratio = (x: number | undefined, y: number | undefined) => (x !== undefined && y !== undefined && y > 0 ? `${(x / y).toFixed(2)}x` : '-');
  for (const c of CASES) {
    for (const tool of ALL_TOOLS) {
      const s = summary[c][tool];
      if (!s) continue;
      const runs = s.failed ? `${s.runs - s.failed}/${s.runs}` : String(s.runs);
      rows.push(
        line([
          c,
          TOOL_LABEL[tool],
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
    // One ratio row per airlock variant and skopeo baseline that both ran in this case, and
    // airlock against airlock --referrers none: what referrer discovery costs.
    for (const a of ALL_TOOLS.filter((t) => !isSkopeo(t))) {
      for (const k of [...ALL_TOOLS.filter(isSkopeo), ...(a === 'airlock' ? (['airlock-none'] as const) : [])]) {
        const x = summary[c][a];
        const y = summary[c][k];
        if (!x || !y) continue;
        rows.push(
          line([
            '',
            `${a}/${k}`,
            '',
            ratio(x.wallS, y.wallS),
            ratio(x.cpuS, y.cpuS),
            '',
            ratio(x.peakRssBytes, y.peakRssBytes),
            ratio(x.requests, y.requests),
            '',
            ratio(x.registryCpuS, y.registryCpuS),
          ]),
        );
      }
    }
    rows.push('');
  }
  const g = goalList.map((x) => `${pad(x.name, 40)} ${pad(x.target, 15)} ${pad(x.display, 30)} ${x.pass ? 'PASS' : x.display.startsWith('FAILED') ? 'FAILED' : 'MISS'}`);
  return [...rows, `${pad('goal', 40)} ${pad('target', 15)} ${pad('measured', 30)} result`, ...g].join('\n');
}
