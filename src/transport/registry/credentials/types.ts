/** Credentials for one registry host. Never logged, never put in error messages. */
export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (Docker's `identitytoken`); used instead of the password when set. */
  identityToken?: string;
}

/** Where a credential came from, for diagnostics (never the secret itself). */
export type CredentialSource = 'options' | `file:${string}` | `helper:${string}`;

/** Credentials and their origin. */
export interface FoundCredentials {
  credentials: Credentials;
  source: CredentialSource;
}
