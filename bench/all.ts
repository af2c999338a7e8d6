/**
 * `npm run bench [-- OPTIONS]`: the mirror, resolve and scale benchmarks, one after the other,
 * each given only the options it takes (npm appends arguments to the end of a script, so a
 * `a && b && c` script would hand them all to the last benchmark alone). An unknown option is
 * an error, here, before anything runs.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCHES: Array<{ file: string; takes: string[] }> = [
  { file: 'mirror.bench.ts', takes: ['size', 'runs', 'tools'] },
  { file: 'resolve.bench.ts', takes: ['images', 'runs'] },
  { file: 'scale.bench.ts', takes: ['sizes'] },
  { file: 'import.bench.ts', takes: ['import-sizes'] },
  { file: 'bundle.bench.ts', takes: ['size', 'runs'] },
  { file: 'serve.bench.ts', takes: ['size', 'runs'] },
  { file: 'modify.bench.ts', takes: ['size', 'runs'] },
  { file: 'audit.bench.ts', takes: ['runs'] },
];

const { values } = parseArgs({
  options: Object.fromEntries([...new Set(BENCHES.flatMap((b) => b.takes))].map((o) => [o, { type: 'string' as const }])),
});

let failed = 0;
for (const bench of BENCHES) {
  const args = bench.takes.flatMap((o) => (values[o] !== undefined ? [`--${o}`, String(values[o])] : []));
  const file = fileURLToPath(new URL(bench.file, import.meta.url));
  process.stderr.write(`\n== ${bench.file} ${args.join(' ')}\n`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit' });
    child.once('error', () => resolve(1));
    child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  if (code !== 0) {
    failed++;
    process.stderr.write(`${bench.file} exited ${code}\n`);
  }
}
// Each benchmark reports its own goals; a non-zero exit here means one could not run.
process.exitCode = failed > 0 ? 1 : 0;
