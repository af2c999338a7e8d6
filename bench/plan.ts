/**
 * What image set a benchmark size means: repositories, tags, platforms, manifest formats and
 * layer sizes, decided deterministically so the same size always gives the same bytes.
 */
import { Prng } from '../test/helpers/prng.js';
import type { ManifestFormat } from '../test/helpers/fixtures.js';

export type SizeName = 'small' | 'full';
export const SIZES: readonly SizeName[] = ['small', 'full'];

const MiB = 1 << 20;

/** A distro-like base: 1-3 layers shared by every image built on it (per architecture). */
export interface BasePlan {
  name: string;
  layerSizes: number[];
}

export interface TagPlan {
  tag: string;
  /** The tag's own top layer, per platform. */
  appSize: number;
}

export interface RepoPlan {
  repo: string;
  format: ManifestFormat;
  /** One platform: a plain image; two: an index over linux/amd64 and linux/arm64. */
  platforms: string[];
  base: string;
  /** A dependencies layer shared by all tags of the repository, per platform. */
  depsSize: number;
  tags: TagPlan[];
}

export interface DatasetPlan {
  size: SizeName;
  /** Bumped whenever generation changes, so old caches are not reused. */
  generator: number;
  bases: BasePlan[];
  repos: RepoPlan[];
  /** Size of the new top layer of each incremental tag. */
  incrementalAppSize: number;
}

/** An extra tag pushed to the source for the incremental case: an existing repo, one new layer. */
export interface IncrementalPlan {
  index: number;
  repo: RepoPlan;
  tag: TagPlan;
}

const GENERATOR_VERSION = 1;

const NAMES = [
  'api-gateway', 'auth-service', 'billing', 'cache-proxy', 'catalog', 'ceph', 'cinder-volume',
  'coredns', 'dashboard', 'etcd', 'event-router', 'fluent-bit', 'glance-api', 'grafana',
  'haproxy', 'heat-engine', 'ingress-nginx', 'keystone', 'kube-proxy', 'loki', 'mariadb',
  'memcached', 'metrics-server', 'neutron-server', 'nova-api', 'nova-compute', 'octavia',
  'openvswitch', 'placement', 'postgres', 'prometheus', 'rabbitmq', 'redis', 'search',
  'scheduler', 'storage-gateway', 'swift-proxy', 'tempo', 'thanos', 'vault', 'webhook', 'worker',
] as const;

const FULL_BASES: BasePlan[] = [
  { name: 'debian', layerSizes: [28 * MiB, 6 * MiB] },
  { name: 'alpine', layerSizes: [3.5 * MiB] },
  { name: 'ubuntu', layerSizes: [30 * MiB, 8 * MiB, 1 * MiB] },
  { name: 'ubi', layerSizes: [36 * MiB, 4 * MiB] },
  { name: 'distroless', layerSizes: [2 * MiB, 12 * MiB] },
];

function jitter(prng: Prng, bytes: number): number {
  // Not round numbers, as real layers never are.
  return Math.round(bytes) + prng.int(64 * 1024);
}

function fullPlan(): DatasetPlan {
  const prng = new Prng('bench-plan/full');
  const repos: RepoPlan[] = NAMES.map((repo, i) => {
    const twoTags = i % 7 < 3; // 18 of 42
    const tags = ['v1.0', ...(twoTags ? ['v1.1'] : [])].map((tag) => ({ tag, appSize: jitter(prng, (4 + prng.int(10)) * MiB) }));
    return {
      repo,
      format: i % 3 === 2 ? 'docker' : 'oci',
      platforms: i % 4 === 0 ? ['linux/amd64', 'linux/arm64'] : ['linux/amd64'], // 11 multi-arch
      base: FULL_BASES[i % FULL_BASES.length]!.name,
      // One big image, like the storage or ML images real lists always have.
      depsSize: jitter(prng, (repo === 'ceph' ? 180 : 6 + prng.int(17)) * MiB),
      tags,
    };
  });
  return { size: 'full', generator: GENERATOR_VERSION, bases: FULL_BASES, repos, incrementalAppSize: 12 * MiB };
}

function smallPlan(): DatasetPlan {
  const prng = new Prng('bench-plan/small');
  const bases: BasePlan[] = [
    { name: 'debian', layerSizes: [12 * MiB, 3 * MiB] },
    { name: 'alpine', layerSizes: [3 * MiB] },
  ];
  const names = ['api-gateway', 'ceph', 'keystone', 'nova-api', 'postgres', 'redis'];
  const repos: RepoPlan[] = names.map((repo, i) => ({
    repo,
    format: i % 3 === 2 ? 'docker' : 'oci',
    platforms: i % 3 === 0 ? ['linux/amd64', 'linux/arm64'] : ['linux/amd64'],
    base: bases[i % bases.length]!.name,
    depsSize: jitter(prng, (6 + prng.int(10)) * MiB),
    tags: ['v1.0', ...(i % 2 === 0 ? ['v1.1'] : [])].map((tag) => ({ tag, appSize: jitter(prng, (3 + prng.int(6)) * MiB) })),
  }));
  return { size: 'small', generator: GENERATOR_VERSION, bases, repos, incrementalAppSize: 4 * MiB };
}

/** The image set for a benchmark size. */
export function planFor(size: SizeName): DatasetPlan {
  return size === 'full' ? fullPlan() : smallPlan();
}

/** The i-th incremental tag (0-based): a new tag on an existing repository, rotating through them. */
export function incrementalPlan(plan: DatasetPlan, index: number): IncrementalPlan {
  const repo = plan.repos[(index * 5 + 1) % plan.repos.length]!;
  return { index, repo, tag: { tag: `v2.${index}`, appSize: plan.incrementalAppSize + index * 4096 } };
}
