/**
 * How much CPU the rest of the machine used during a run: machine-wide busy time minus the
 * client's and the registries'. Wall times are only comparable on a quiet machine; this
 * lets a benchmark say when it was not.
 */
import { machineCpuSeconds, type BenchRegistry } from './registry.js';

/** Other processes' CPU seconds per second of run above which results are called noisy. */
export const NOISY_SHARE = 0.1;

/** Starts counting; the returned function takes the client's CPU seconds and gives the others'. */
export async function noiseMeter(registries: BenchRegistry[]): Promise<(clientCpuS: number) => Promise<number>> {
  const machine0 = await machineCpuSeconds();
  const reg0 = await Promise.all(registries.map((r) => r.cpuSeconds()));
  return async (clientCpuS) => {
    const machine1 = await machineCpuSeconds();
    const reg1 = await Promise.all(registries.map((r) => r.cpuSeconds()));
    const registriesS = reg1.reduce((n, c, i) => n + c - reg0[i]!, 0);
    return Math.max(0, machine1.busy - machine0.busy - clientCpuS - registriesS);
  };
}

/** A warning line when other processes took more than NOISY_SHARE of a CPU per second of run (median), else ''. */
export function noiseWarning(runs: Array<{ wallS: number; otherCpuS?: number }>, median: (xs: number[]) => number): string {
  const shares = runs.filter((r) => r.otherCpuS !== undefined && r.wallS > 0).map((r) => r.otherCpuS! / r.wallS);
  if (shares.length === 0) return '';
  const m = median(shares);
  return m > NOISY_SHARE
    ? `WARNING: other processes used a median ${m.toFixed(2)} CPU s per second of run: wall times are noisy, re-run on a quiet machine.`
    : '';
}
