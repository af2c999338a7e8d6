/**
 * Every failure airlock reports carries a stable `code`. Messages may change between
 * releases; codes do not. Tests and scripts match on codes only.
 */
export const ErrorCodes = {
  // input
  REF_INVALID: 'REF_INVALID',
  LOCATION_INVALID: 'LOCATION_INVALID',
  DIGEST_INVALID: 'DIGEST_INVALID',
  PLATFORM_INVALID: 'PLATFORM_INVALID',
  LIST_INVALID: 'LIST_INVALID',
  USAGE: 'USAGE',
  // content
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  MANIFEST_TOO_LARGE: 'MANIFEST_TOO_LARGE',
  MANIFEST_SCHEMA1_UNSUPPORTED: 'MANIFEST_SCHEMA1_UNSUPPORTED',
  MEDIA_TYPE_UNSUPPORTED: 'MEDIA_TYPE_UNSUPPORTED',
  DIGEST_MISMATCH: 'DIGEST_MISMATCH',
  SIZE_MISMATCH: 'SIZE_MISMATCH',
  PLATFORM_NOT_FOUND: 'PLATFORM_NOT_FOUND',
  // registry
  REGISTRY_UNAUTHORIZED: 'REGISTRY_UNAUTHORIZED',
  REGISTRY_DENIED: 'REGISTRY_DENIED',
  REGISTRY_NOT_FOUND: 'REGISTRY_NOT_FOUND',
  REGISTRY_RATE_LIMITED: 'REGISTRY_RATE_LIMITED',
  REGISTRY_ERROR: 'REGISTRY_ERROR',
  REGISTRY_UNREACHABLE: 'REGISTRY_UNREACHABLE',
  REGISTRY_PROTOCOL: 'REGISTRY_PROTOCOL',
  AUTH_FAILED: 'AUTH_FAILED',
  CREDENTIALS_INVALID: 'CREDENTIALS_INVALID',
  CREDENTIAL_HELPER_FAILED: 'CREDENTIAL_HELPER_FAILED',
  TLS_CONFIG_INVALID: 'TLS_CONFIG_INVALID',
  // local storage
  LAYOUT_INVALID: 'LAYOUT_INVALID',
  IMAGE_NOT_FOUND: 'IMAGE_NOT_FOUND',
  STORE_IO: 'STORE_IO',
  STORE_DAMAGED: 'STORE_DAMAGED',
  ARCHIVE_INVALID: 'ARCHIVE_INVALID',
  BUNDLE_DAMAGED: 'BUNDLE_DAMAGED',
  /** containerd (through ctr) unreachable, or it refused or failed a request (airlock warm). */
  CONTAINERD_FAILED: 'CONTAINERD_FAILED',
  /** A volume of a split bundle is absent or shorter than its list says. */
  VOLUME_MISSING: 'VOLUME_MISSING',
  /** have.json is not an inventory airlock wrote. */
  INVENTORY_INVALID: 'INVENTORY_INVALID',
  /** A differential bundle leaves out blobs the target does not hold (the have.json it was made against was wrong or stale). */
  BUNDLE_BASE_MISSING: 'BUNDLE_BASE_MISSING',
  /** An input of `airlock modify` (a file to append, an option's value) is missing, unreadable, too large or unsafe. */
  MODIFY_INPUT_INVALID: 'MODIFY_INPUT_INVALID',
  /** A `--run` step of airlock modify failed, or buildah, which runs it, is missing or failed. */
  BUILD_FAILED: 'BUILD_FAILED',
  /** No signature for an image where one is required (`airlock verify`). */
  SIGNATURE_MISSING: 'SIGNATURE_MISSING',
  /** An image's signatures are there but none verifies with the key or names the image's digest. */
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  /** A public key file that is not a PEM public key airlock can use (ECDSA, RSA, Ed25519). */
  KEY_INVALID: 'KEY_INVALID',
  /** A pod list (`-f`, stdin) that is not `kubectl get pods -o json` output, or an audit option that cannot work. */
  AUDIT_INPUT_INVALID: 'AUDIT_INPUT_INVALID',
  /** The Kubernetes API could not be reached or answered with an error (kubeconfig pointing nowhere, a timeout). */
  KUBE_API_FAILED: 'KUBE_API_FAILED',
  /** The Kubernetes API refused the credentials (401: an expired or wrong token; 403). */
  KUBE_API_UNAUTHORIZED: 'KUBE_API_UNAUTHORIZED',
  // image sets, locks, rendering
  IMAGESET_INVALID: 'IMAGESET_INVALID',
  TEMPLATE_PARAM_MISSING: 'TEMPLATE_PARAM_MISSING',
  LABEL_MISSING: 'LABEL_MISSING',
  IMPORT_INVALID: 'IMPORT_INVALID',
  LOCK_INVALID: 'LOCK_INVALID',
  LOCK_STALE: 'LOCK_STALE',
  RENDER_FORMAT_UNKNOWN: 'RENDER_FORMAT_UNKNOWN',
  /** containerd/registries.conf: no single mirror (or path prefix) can be told from the lock; pass --mirror. */
  RENDER_MIRROR_AMBIGUOUS: 'RENDER_MIRROR_AMBIGUOUS',
  /** The lock holds something the chosen format cannot express (clashing variable names, an untagged image for Kubespray, ...). */
  RENDER_UNSUPPORTED: 'RENDER_UNSUPPORTED',
  // run
  INTERRUPTED: 'INTERRUPTED',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base error: a stable code, a human message, optional structured details. */
export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AirlockError';
    this.code = code;
    this.details = details;
  }
}

/** One entry of the Distribution spec's `{"errors":[...]}` body. */
export interface SpecError {
  code: string;
  message?: string;
  detail?: unknown;
}

/** An HTTP-level failure from a registry: status, URL and the spec's error list. */
export class RegistryError extends AirlockError {
  readonly status: number;
  readonly url: string;
  readonly errors: SpecError[];
  /** How long the registry asked to wait before trying again (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    info: { status: number; url: string; errors?: SpecError[]; retryAfterMs?: number | undefined },
    options?: { cause?: unknown },
  ) {
    super(code, message, { status: info.status, url: info.url, errors: info.errors ?? [] }, options);
    this.name = 'RegistryError';
    this.status = info.status;
    this.url = info.url;
    this.errors = info.errors ?? [];
    this.retryAfterMs = info.retryAfterMs;
  }
}

/**
 * `value` shortened for an error message: at most `max` characters, the cut marked with the
 * number of characters left out. Messages quote what users gave; a 50 MB value must not
 * become a 50 MB message.
 */
export function clip(value: string, max = 200): string {
  return value.length <= max ? value : `${value.slice(0, max)}... (${value.length - max} more characters)`;
}

/** True when `err` is an AirlockError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof AirlockError && err.code === code;
}

/** Wraps anything thrown into an AirlockError, keeping AirlockErrors as they are. */
export function toAirlockError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AirlockError(ErrorCodes.INTERNAL, message, {}, { cause: err });
}
