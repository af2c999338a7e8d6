/** Filling a benchmark's source registry. */
import pLimit from 'p-limit';
import { pushFixtureWithSkopeo } from '../test/helpers/skopeo.js';
import type { DatasetImage } from './dataset.js';
import type { BenchRegistry } from './registry.js';
import { checkTags } from './verify.js';

/** Pushes images to the source with skopeo (two at a time), checking each pushed digest and then every tag. */
export async function seed(source: BenchRegistry, images: DatasetImage[]): Promise<void> {
  const limit = pLimit(2);
  await Promise.all(
    images.map((i) =>
      limit(async () => {
        const digest = await pushFixtureWithSkopeo(i.fixture, source, `${i.repo}:${i.tag}`, { timeoutMs: 600_000 });
        if (digest !== i.digest) throw new Error(`seeding ${i.repo}:${i.tag}: skopeo pushed ${digest}, expected ${i.digest}`);
      }),
    ),
  );
  const problems = await checkTags(source.url, '', images);
  if (problems.length > 0) throw new Error(`source registry is incomplete:\n${problems.join('\n')}`);
}
