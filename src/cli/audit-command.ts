import { Command } from 'commander';
import { lazyAction } from './lazy.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `airlock audit`: the cluster (or one node) runs what the lock pins. */
export function auditCommand(): Command {
  const cmd = new Command('audit')
    .description(
      "Check that a cluster runs what was shipped: every container of every pod (init and ephemeral too) comes from an allowed registry, is pinned by digest, is in the lock, and runs the locked digest (or one of its platform images) as its status's imageID says. Pods come from the live API (kubeconfig or in-cluster account) or from `kubectl get pods -A -o json` output (-f FILE, or - for stdin). With --containerd, check one node instead: every image of the lock is in its containerd, named, with the locked digest and all its content.",
    )
    .option('--lock <file>', 'a lock the cluster should run (repeatable: images of several locks)', collect, [])
    .option('--allowed-registry <registry[/prefix]>', "a registry images may come from (repeatable; default: the locks' destinations' registries)", collect, [])
    .option('--kubeconfig <file>', 'the kubeconfig (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account)')
    .option('--context <name>', 'a context of the kubeconfig (default: its current context)')
    .option('-f, --filename <file>', 'read pods from kubectl get pods -A -o json output instead of the API (- for stdin)')
    .option('--timeout <seconds>', 'how long the API may take to list every pod', '30')
    .option('--format <text|json|junit>', 'output: a summary and a findings table, one JSON document, or JUnit XML for CI', 'text')
    .option('--json', 'the same as --format json')
    .option('--containerd <socket>', 'audit one node: the images of the lock in this containerd (through ctr)')
    .option('--namespace <ns>', 'with --containerd: the containerd namespace', 'k8s.io')
    .option('--only <key>', 'with --containerd: check only this lock key (repeatable)', collect, [])
    .option('--platform <os/arch>', "with --containerd: the node's platform (default: this host's)")
    .option('--names <registry[/prefix]>', 'with --containerd: the names the images were imported under, as airlock warm --names');
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock audit --lock images.lock.yaml                                   # the current kubeconfig's cluster
  kubectl get pods -A -o json | airlock audit --lock images.lock.yaml -f -
  airlock audit --lock images.lock.yaml --format junit > audit.xml        # for CI
  airlock audit --containerd /run/containerd/containerd.sock --lock images.lock.yaml   # one node, after airlock warm
Findings: registry-not-allowed, not-in-lock, tag-only, digest-drift, reference-invalid (each names namespace, pod,
container and the pinned reference to use). Containers still pulling are counted, not checked.
Exit codes: 0 clean, 1 findings, 2 bad input (lock, pods file, kubeconfig, API unreachable), 4 credentials refused.`,
  );
  cmd.action(lazyAction(() => import('./audit-action.js')));
  return cmd;
}
