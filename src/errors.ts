// calsync's own errors: a stable code, the HTTP status it maps to, and one line that
// tells a person what to do. docs/errors.md documents every code (a test checks that
// the two agree); the HTTP layer and the CLI both read this one table.

export const errorCatalogue = {
  // Configuration and start-up.
  CONFIG_INVALID: { status: 500, hint: 'Fix the environment variable named in the message (see the configuration table in README.md).' },
  DATABASE_UNREACHABLE: { status: 503, hint: 'Check that DATABASE_URL points at a running Postgres that accepts connections from this host, or unset it to use the embedded Postgres.' },
  DATABASE_AUTH_FAILED: { status: 503, hint: 'Check the user name and password in DATABASE_URL.' },
  DATABASE_MISSING: { status: 503, hint: 'Create the database named in DATABASE_URL (createdb NAME) or point DATABASE_URL at an existing one.' },
  DATABASE_TOO_OLD: { status: 503, hint: 'calsync needs PostgreSQL 15 or later; upgrade the server or unset DATABASE_URL to use the embedded Postgres.' },
  DATABASE_EXTENSION_MISSING: { status: 503, hint: 'Install the contrib extension named in the message on the Postgres server (it ships with PostgreSQL; Debian: postgresql-contrib), or let a superuser run CREATE EXTENSION once.' },
  MIGRATION_FAILED: { status: 500, hint: 'A schema migration failed; the message names the file. Nothing was half-applied: fix the cause and run `calsync migrate` again.' },
  SCHEMA_TOO_NEW: { status: 500, hint: 'The database was migrated by a newer calsync; run that version or restore a matching backup.' },
  DATA_DIR_NOT_WRITABLE: { status: 500, hint: 'Make the folder in CALSYNC_DATA_DIR writable by this user, or point CALSYNC_DATA_DIR at one that is.' },
  DATA_DIR_NOT_TRAVERSABLE: { status: 500, hint: 'The embedded Postgres runs as user "postgres" because Postgres refuses to run as root; give that user search (x) permission on every parent of CALSYNC_DATA_DIR, move CALSYNC_DATA_DIR (e.g. /var/lib/calsync), or run calsync as a non-root user.' },
  EMBEDDED_POSTGRES_FAILED: { status: 500, hint: 'The embedded Postgres did not start; its log is in CALSYNC_DATA_DIR/postgres.log. Set DATABASE_URL to use another Postgres instead.' },
  EMBEDDED_POSTGRES_IN_USE: { status: 500, hint: 'Another calsync is already running on this data folder; stop it first, or give this one its own CALSYNC_DATA_DIR.' },
  PORT_IN_USE: { status: 500, hint: 'Another program listens on that port; stop it or set PORT to a free port.' },
  SECRET_KEY_INVALID: { status: 500, hint: 'CALSYNC_SECRET_KEY must be 32 bytes as 64 hex characters or base64 (generate one with `openssl rand -hex 32`).' },
  SECRET_KEY_MISMATCH: { status: 500, hint: 'The database was encrypted with another key: set CALSYNC_SECRET_KEY to that key (and the new one in CALSYNC_SECRET_KEY while the old one stays in CALSYNC_PREVIOUS_SECRET_KEYS to rotate).' },
  SECRET_KEY_REQUIRED: { status: 500, hint: 'With DATABASE_URL set, calsync needs CALSYNC_SECRET_KEY (generate one with `openssl rand -hex 32` and keep it safe: losing it loses every stored credential).' },
  DECRYPT_FAILED: { status: 500, hint: 'A stored credential could not be decrypted with any configured key; add the key it was written with to CALSYNC_PREVIOUS_SECRET_KEYS.' },

  // API requests.
  UNAUTHENTICATED: { status: 401, hint: 'Send a valid API key as `Authorization: Bearer <key>` (create one with `calsync apikey create`).' },
  NOT_FOUND: { status: 404, hint: 'Check the id; it does not exist for this tenant.' },
  INVALID_REQUEST: { status: 400, hint: 'Fix the request as the message says; nothing was changed.' },
  PAYLOAD_TOO_LARGE: { status: 413, hint: 'Send a smaller body; the limit is in the message.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, hint: 'Send the body as application/json.' },
  METHOD_NOT_ALLOWED: { status: 405, hint: 'Use one of the methods the route accepts.' },
  CONFLICT: { status: 409, hint: 'The resource already exists or changed meanwhile; read it again and retry.' },
  RATE_LIMITED: { status: 429, hint: 'Wait for the seconds in Retry-After, then retry.' },
  INTERNAL: { status: 500, hint: 'An unexpected error; the log line with this request id has the details.' },

  // Providers (CalDAV servers, ICS feeds, Google, Microsoft), as seen by a command or request.
  PROVIDER_AUTH_FAILED: { status: 400, hint: 'The provider refused the login: check the user name and password (iCloud needs an app-specific password) or reconnect the account.' },
  PROVIDER_UNAVAILABLE: { status: 502, hint: 'The provider did not answer or answered with an error or too many requests; try again later.' },
  PROVIDER_REFUSED: { status: 400, hint: 'The provider refused the request as it stands (wrong URL, not a calendar, a private address, bad data); fix what the message names.' },

  // CLI.
  USAGE: { status: 400, hint: 'Run the command with --help to see its arguments.' },
  TENANT_NOT_FOUND: { status: 404, hint: 'List tenants with `calsync tenant list` and pass one of their ids.' },
  JOB_NOT_FOUND: { status: 404, hint: 'List failed jobs with `calsync status` and pass one of their ids.' },
} as const satisfies Record<string, { status: number; hint: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class CalsyncError extends Error {
  override readonly name = 'CalsyncError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return errorCatalogue[this.code].status;
  }

  get hint(): string {
    return errorCatalogue[this.code].hint;
  }
}

export function isCalsyncError(error: unknown, code?: ErrorCode): error is CalsyncError {
  return error instanceof CalsyncError && (code === undefined || error.code === code);
}
