import { Option, type Command } from 'commander';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { RegistryHostOptions, RegistryOptions } from '../transport/registry/options.js';

/** Raw values of the registry flags every copying command takes. */
export interface RegistryFlags {
  insecureRegistry: string[];
  registryCa: string[];
  creds: string[];
  maxConnections?: string;
  retries?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Adds the registry flags (TLS, plain HTTP, credentials, connection limits) to a command. */
export function addRegistryFlags(cmd: Command): Command {
  return cmd
    .option('--insecure-registry <host>', 'talk plain HTTP to HOST[:PORT] (repeatable; loopback hosts are plain HTTP by default)', collect, [])
    .option('--registry-ca <host=file>', 'trust the PEM CA FILE for HOST[:PORT] (repeatable)', collect, [])
    .option('--creds <host=user:password>', 'credentials for HOST[:PORT] (repeatable; otherwise Docker config.json, auth.json and credential helpers are used)', collect, [])
    .addOption(new Option('--max-connections <n>', 'most connections to one registry').default('8'))
    .addOption(new Option('--retries <n>', 'retries after a connection error, 5xx or 429').default('4'));
}

function splitPair(flag: string, value: string, sep: string): [string, string] {
  const i = value.indexOf(sep);
  if (i <= 0 || i === value.length - 1) {
    throw new AirlockError(ErrorCodes.USAGE, `${flag} expects HOST${sep}VALUE, got "${value}"`);
  }
  return [value.slice(0, i), value.slice(i + 1)];
}

/** Parses a positive integer flag or throws USAGE. */
export function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new AirlockError(ErrorCodes.USAGE, `${flag} expects a whole number, got "${value}"`);
  return n;
}

/** Turns the registry flags into RegistryOptions; extra per-host credentials may be added. */
export function registryOptions(flags: RegistryFlags, extraCreds: [host: string, userPass: string][] = []): RegistryOptions {
  const hosts: Record<string, RegistryHostOptions> = {};
  const host = (h: string) => (hosts[h.toLowerCase()] ??= {});
  for (const h of flags.insecureRegistry) host(h).insecure = true;
  for (const v of flags.registryCa) {
    const [h, file] = splitPair('--registry-ca', v, '=');
    host(h).caFile = file;
  }
  const creds: [string, string][] = [...flags.creds.map((v) => splitPair('--creds', v, '=')), ...extraCreds];
  for (const [h, userPass] of creds) {
    const [username, password] = splitPair('credentials', userPass, ':');
    Object.assign(host(h), { username, password });
  }
  const maxConnections = positiveInt('--max-connections', flags.maxConnections, 8);
  for (const h of Object.values(hosts)) h.maxConnections ??= maxConnections;
  return {
    hosts,
    insecureHosts: flags.insecureRegistry,
    retries: positiveInt('--retries', flags.retries, 4),
    maxConnections,
  };
}
