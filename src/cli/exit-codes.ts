import { ErrorCodes, type ErrorCode } from '../errors.js';

/** Process exit codes, documented in `airlock --help`. */
export const ExitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  auth: 4,
  interrupted: 130,
} as const;

/** The text `--help` shows for the exit codes. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    success: every image copied or already up to date
  1    a copy failed (registry, network or verification error)
  2    invalid input: bad reference, location, list file, image set, lock file or option
  3    --keep-going: some images failed, the others were copied
  4    authentication or authorisation refused (a registry, the Kubernetes API)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)`;

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCodes.REF_INVALID,
  ErrorCodes.LOCATION_INVALID,
  ErrorCodes.LIST_INVALID,
  ErrorCodes.USAGE,
  ErrorCodes.PLATFORM_INVALID,
  ErrorCodes.DIGEST_INVALID,
  ErrorCodes.TLS_CONFIG_INVALID,
  ErrorCodes.IMAGESET_INVALID,
  ErrorCodes.TEMPLATE_PARAM_MISSING,
  ErrorCodes.LOCK_INVALID,
  ErrorCodes.IMPORT_INVALID,
  ErrorCodes.ARCHIVE_INVALID,
  ErrorCodes.MODIFY_INPUT_INVALID,
  ErrorCodes.KEY_INVALID,
  ErrorCodes.AUDIT_INPUT_INVALID,
  ErrorCodes.KUBE_API_FAILED,
  ErrorCodes.INVENTORY_INVALID,
  ErrorCodes.RENDER_FORMAT_UNKNOWN,
  ErrorCodes.RENDER_MIRROR_AMBIGUOUS,
]);
const AUTH_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCodes.REGISTRY_UNAUTHORIZED,
  ErrorCodes.REGISTRY_DENIED,
  ErrorCodes.AUTH_FAILED,
  ErrorCodes.CREDENTIALS_INVALID,
  ErrorCodes.CREDENTIAL_HELPER_FAILED,
  ErrorCodes.KUBE_API_UNAUTHORIZED,
]);

/** The exit code for a failure with this error code. */
export function exitCodeFor(code: string): number {
  if (USAGE_CODES.has(code as ErrorCode)) return ExitCodes.usage;
  if (AUTH_CODES.has(code as ErrorCode)) return ExitCodes.auth;
  if (code === ErrorCodes.INTERRUPTED) return ExitCodes.interrupted;
  return ExitCodes.failed;
}
