import { extractSelf } from '../bundle/self.js';
import { formatBytes } from './format.js';
import { interruptSignal } from './interrupt.js';

/** `airlock bundle extract-self BUNDLE -o FILE`: the airlock executable a bundle carries, checked. */
export async function run(bundle: string, flags: { output: string; platform?: string; json?: boolean }): Promise<void> {
  const x = await extractSelf(bundle, flags.output, { signal: interruptSignal(), ...(flags.platform !== undefined ? { platform: flags.platform } : {}) });
  process.stdout.write(
    flags.json
      ? `${JSON.stringify({ type: 'extract-self', ...x })}\n`
      : `${x.file}: ${x.entry} from ${bundle}, ${formatBytes(x.size)}, sha256 ${x.sha256} (checked)\n`,
  );
}
