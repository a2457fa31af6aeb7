// calsync's own errors: a stable code, the HTTP status it maps to, and one line that
// tells a person what to do. docs/errors.md documents every code (a test checks that
// the two agree); the HTTP layer and the CLI both read this one table. `cliHint` is
// the fix a command prints where the HTTP one would not make sense there.

export const errorCatalogue = {
  // Configuration and start-up.
  CONFIG_INVALID: { status: 500, hint: 'Fix the environment variable named in the message (see the configuration table in README.md).' },
  DATABASE_UNREACHABLE: { status: 503, hint: 'Check that DATABASE_URL points at a running Postgres that accepts connections from this host, or unset it to use the embedded Postgres.' },
  DATABASE_AUTH_FAILED: { status: 503, hint: 'Check the user name and password in DATABASE_URL.' },
  DATABASE_MISSING: { status: 503, hint: 'Create the database named in DATABASE_URL (createdb NAME) or point DATABASE_URL at an existing one.' },
  DATABASE_SSL_UNSUPPORTED: { status: 503, hint: 'The Postgres server does not accept SSL connections: remove sslmode from DATABASE_URL (or set sslmode=disable) on a trusted network, or turn on ssl in the server\'s configuration.' },
  DATABASE_TOO_OLD: { status: 503, hint: 'calsync needs PostgreSQL 15 or later; upgrade the server or unset DATABASE_URL to use the embedded Postgres.' },
  DATABASE_EXTENSION_MISSING: { status: 503, hint: 'Install the contrib extension named in the message on the Postgres server (it ships with PostgreSQL; Debian: postgresql-contrib), or let a superuser run CREATE EXTENSION once.' },
  MIGRATION_FAILED: { status: 500, hint: 'A schema migration failed; the message names the file. Nothing was half-applied: fix the cause and run `calsync migrate` again.' },
  SCHEMA_TOO_NEW: { status: 500, hint: 'The database was migrated by a newer calsync; run that version or restore a matching backup.' },
  DATA_DIR_NOT_WRITABLE: { status: 500, hint: 'Make the folder in CALSYNC_DATA_DIR writable by this user, or point CALSYNC_DATA_DIR at one that is.' },
  DATA_DIR_NOT_TRAVERSABLE: { status: 500, hint: 'The embedded Postgres runs as user "postgres" because Postgres refuses to run as root; give that user search (x) permission on every parent of CALSYNC_DATA_DIR, move CALSYNC_DATA_DIR (e.g. /var/lib/calsync), or run calsync as a non-root user.' },
  EMBEDDED_POSTGRES_FAILED: { status: 500, hint: 'The embedded Postgres did not start; its log is in CALSYNC_DATA_DIR/postgres.log. Set DATABASE_URL to use another Postgres instead.' },
  EMBEDDED_POSTGRES_IN_USE: { status: 500, hint: 'Another calsync is already running on this data folder; stop it first, or give this one its own CALSYNC_DATA_DIR.' },
  HOST_UNUSABLE: { status: 500, hint: 'Set HOST to an address of this machine: 127.0.0.1 for this machine only, 0.0.0.0 (or ::) for every interface.' },
  PORT_IN_USE: { status: 500, hint: 'Another program listens on that port; stop it or set PORT to a free port.' },
  SANDBOX_REFUSED: { status: 500, hint: 'The sandbox runs emulated Google and Microsoft calendars and never beside real ones: run `calsync serve` for the real setup, or give the sandbox its own CALSYNC_DATA_DIR (or database) with no CALSYNC_GOOGLE_CLIENT_* or CALSYNC_MICROSOFT_CLIENT_* set.' },
  SECRET_KEY_INVALID: { status: 500, hint: 'CALSYNC_SECRET_KEY must be 32 bytes as 64 hex characters or base64 (generate one with `openssl rand -hex 32`).' },
  SECRET_KEY_MISMATCH: { status: 500, hint: 'The database was encrypted with another key: set CALSYNC_SECRET_KEY to that key (in embedded mode it was generated into CALSYNC_DATA_DIR/secret-key). To move to a new key instead, set the new key in CALSYNC_SECRET_KEY and the old one in CALSYNC_PREVIOUS_SECRET_KEYS, then run `calsync secrets rotate` (docs/operations.md).' },
  SECRET_KEY_REQUIRED: { status: 500, hint: 'With DATABASE_URL set, calsync needs CALSYNC_SECRET_KEY (generate one with `openssl rand -hex 32` and keep it safe: losing it loses every stored credential).' },
  DECRYPT_FAILED: { status: 500, hint: 'A stored credential could not be decrypted with any configured key; add the key it was written with to CALSYNC_PREVIOUS_SECRET_KEYS.' },

  // API requests. `google` is the reason Google Calendar gives for the same error
  // (developers.google.com/workspace/calendar/api/guides/errors), so its clients react alike.
  UNAUTHENTICATED: {
    status: 401, hint: 'Send a valid API key as `Authorization: Bearer <key>` (create one with `calsync apikey create`).',
    google: { domain: 'global', reason: 'authError', locationType: 'header', location: 'Authorization' },
  },
  // Google answers a token without the scope a method needs with 403 insufficientPermissions.
  API_KEY_SCOPE_MISSING: {
    status: 403, hint: 'Use an API key with the scope the message names: `admin` for /admin/v1 and the console, `app` for the calendar API (`calsync apikey create --scope admin|app`).',
    google: { domain: 'global', reason: 'insufficientPermissions' },
  },
  NOT_FOUND: { status: 404, hint: 'Check the id; it does not exist for this tenant.', google: { domain: 'global', reason: 'notFound' } },
  INVALID_REQUEST: { status: 400, hint: 'Fix the request as the message says; nothing was changed.', google: { domain: 'global', reason: 'invalid' } },
  // Values Postgres cannot store: refused at the edge (src/http/edge-strings.ts), or where
  // one got past, classified by SQLSTATE (src/http/database-errors.ts).
  STRING_NOT_STORABLE: {
    status: 400, hint: 'Remove the NUL characters (\\u0000) and unpaired surrogates (\\ud800-\\udfff without their pair) from the value named in the message; nothing was changed.',
    google: { domain: 'global', reason: 'invalid' },
  },
  VALUE_TOO_LARGE: { status: 400, hint: 'Shorten the value named in the message; nothing was changed.', google: { domain: 'global', reason: 'invalid' } },
  VALUE_OUT_OF_RANGE: {
    status: 400, hint: 'Send a value within range: whole numbers up to 2147483647 where Google uses a 32-bit integer, dates from year 1 to 9999; nothing was changed.',
    google: { domain: 'global', reason: 'invalid' },
  },
  VALUE_MALFORMED: { status: 400, hint: 'Send the value named in the message in the form its field takes (a number, an id, an RFC 3339 time); nothing was changed.', google: { domain: 'global', reason: 'invalid' } },
  DATABASE_BUSY: {
    status: 503, hint: 'Retry the request after the seconds in Retry-After: the database cancelled it to resolve a clash with another request, and nothing was changed.',
    google: { domain: 'global', reason: 'backendError' },
  },
  INVALID_RECURRENCE: {
    status: 400, hint: 'Fix the recurrence rule the message names: calsync refuses rules that never occur, whose instances lie too far apart to expand, or that run past the year 9999; nothing was changed.',
    google: { domain: 'global', reason: 'invalid' },
  },
  INVALID_SEQUENCE: {
    status: 400, hint: 'Read the event again and send its current sequence number (or a higher one).',
    google: { domain: 'global', reason: 'invalid' },
  },
  TIME_RANGE_EMPTY: {
    status: 400, hint: 'Send a timeMax later than timeMin.',
    google: { domain: 'calendar', reason: 'timeRangeEmpty', locationType: 'parameter', location: 'timeMax' },
  },
  TIME_RANGE_TOO_LONG: {
    status: 400, hint: 'Ask for at most 93 days at once: split a longer range into several queries and join their answers.',
    google: { domain: 'calendar', reason: 'timeRangeTooLong', locationType: 'parameter', location: 'timeMax' },
  },
  HEADERS_TOO_LARGE: {
    status: 431, hint: 'Keep the request line and headers under 16 KB: long values (ids, filters) belong in fewer or shorter parameters; the connection was closed.',
    google: { domain: 'global', reason: 'badRequest' },
  },
  PAYLOAD_TOO_LARGE: { status: 413, hint: 'Send a smaller body; the limit is in the message.', google: { domain: 'global', reason: 'uploadTooLarge' } },
  JSON_TOO_DEEP: {
    status: 400, hint: 'Send JSON whose arrays and objects nest at most 64 levels deep (a batch in JSON form: its requests\' bodies at most 64); nothing was changed.',
    google: { domain: 'global', reason: 'invalid' },
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, hint: 'Send the body as application/json.', google: { domain: 'global', reason: 'unsupportedMediaType' } },
  METHOD_NOT_ALLOWED: { status: 405, hint: 'Use one of the methods the route accepts.', google: { domain: 'global', reason: 'httpMethodNotAllowed' } },
  CONFLICT: {
    status: 409, hint: 'The resource changed meanwhile or clashed with another item of the same batch; read it again and retry.',
    google: { domain: 'global', reason: 'conflict' },
  },
  DUPLICATE: {
    status: 409, hint: 'An event with this id already exists (also when deleted): choose another id, or update the existing event.',
    google: { domain: 'global', reason: 'duplicate' },
  },
  PRECONDITION_FAILED: {
    status: 412, hint: 'The event changed since the etag in If-Match: read it again, apply your change to it and retry with its new etag.',
    google: { domain: 'global', reason: 'conditionNotMet', locationType: 'header', location: 'If-Match' },
  },
  SYNC_TOKEN_EXPIRED: {
    status: 410, hint: 'Drop the sync token and list the calendar again without one (a full sync); keep the nextSyncToken of its last page.',
    google: { domain: 'calendar', reason: 'fullSyncRequired', locationType: 'parameter', location: 'syncToken' },
  },
  SYNC_TOKEN_WITH_RESTRICTIONS: {
    status: 400, hint: 'Send a sync token without iCalUID, orderBy, q, timeMin, timeMax, updatedMin, extended-property filters or showDeleted=false: an incremental listing repeats the full one it continues, which had none of them.',
    google: { domain: 'calendar', reason: 'syncTokenWithRequestRestrictions' },
  },
  UPDATED_MIN_TOO_OLD: {
    status: 410, hint: 'Deletions older than updatedMin are no longer kept: list the calendar in full instead.',
    google: { domain: 'calendar', reason: 'updatedMinTooLongAgo', locationType: 'parameter', location: 'updatedMin' },
  },
  DELETED: { status: 410, hint: 'Nothing to do: the resource was already deleted.', google: { domain: 'global', reason: 'deleted' } },
  CHANNEL_ID_NOT_UNIQUE: {
    status: 400, hint: 'Another watch channel of this tenant has this id: choose a new one (a UUID), or stop that channel first.',
    google: { domain: 'global', reason: 'channelIdNotUnique' },
  },
  WEBHOOK_URL_NOT_HTTPS: {
    status: 400, hint: 'Give the channel an https:// address (the operator can allow http:// for development with CALSYNC_ALLOW_HTTP_WEBHOOKS=1).',
    google: { domain: 'global', reason: 'push.webhookUrlNotHttps' },
  },
  WEBHOOK_URL_REFUSED: {
    status: 400, hint: 'Give the channel an address on the public internet, or ask the operator to allow it (CALSYNC_ALLOW_PRIVATE_URLS=1 or CALSYNC_ALLOWED_URL_HOSTS).',
    google: { domain: 'global', reason: 'push.webhookUrlUnauthorized' },
  },
  RATE_LIMITED: {
    status: 429, hint: 'Wait for the seconds in Retry-After, then retry; a batch counts as its number of parts.',
    google: { domain: 'usageLimits', reason: 'rateLimitExceeded' },
  },
  BATCH_TOO_LARGE: {
    status: 400, hint: 'Send at most 1,000 requests in one batch (Google\'s limit); split larger work into several batches.',
    google: { domain: 'global', reason: 'invalid' },
  },
  BATCH_PART_REFUSED: {
    status: 400, hint: 'Send this request on its own, not in a batch: a batch holds Calendar API and admin requests, not another batch (put its requests in the outer one), an event stream (open it with a GET of its own) or a webhook or probe.',
    google: { domain: 'global', reason: 'invalid' },
  },
  INTERNAL: {
    status: 500, hint: 'An unexpected error; the log line with this request id has the details.',
    cliHint: 'An unexpected error: run the command again with LOG_LEVEL=debug, which logs its details, and report them.',
    google: { domain: 'global', reason: 'backendError' },
  },

  // Providers (CalDAV servers, ICS feeds, Google, Microsoft), as seen by a command or request.
  // 400, not 500: calsync works; this provider is simply not set up on it, and the request changed nothing.
  PROVIDER_NOT_CONFIGURED: {
    status: 400, hint: 'calsync has no OAuth client for this provider: its operator sets the variables named in the message (README.md, "Configuration") and restarts calsync; nothing was changed.',
    cliHint: 'Set the variable the message names in this command\'s environment (README.md, "Configuration", says where the provider\'s client id and secret come from) and run the command again; nothing was changed.',
    google: { domain: 'global', reason: 'failedPrecondition' },
  },
  PROVIDER_AUTH_FAILED: { status: 400, hint: 'The provider refused the login: check the user name and password (iCloud needs an app-specific password) or reconnect the account.' },
  PROVIDER_UNAVAILABLE: { status: 502, hint: 'The provider did not answer or answered with an error or too many requests; try again later.' },
  PROVIDER_REFUSED: { status: 400, hint: 'The provider refused the request as it stands (wrong URL, not a calendar, bad data); fix what the message names.' },
  PROVIDER_URL_INVALID: { status: 400, hint: 'Give the whole address, starting with https:// (or http://), e.g. https://caldav.example.com/ or https://example.org/calendar.ics.' },
  PROVIDER_URL_REFUSED: {
    status: 400, hint: 'The address is on a loopback, private or reserved network, which calsync does not reach unless its operator sets CALSYNC_ALLOW_PRIVATE_URLS=1 (or lists the host in CALSYNC_ALLOWED_URL_HOSTS); give a public address or ask the operator.',
    cliHint: 'To reach a server on your own network, set CALSYNC_ALLOW_PRIVATE_URLS=1 (link-local and reserved addresses: list the host in CALSYNC_ALLOWED_URL_HOSTS) and run the command again; docs/operations.md explains both.',
  },
  PROVIDER_HOST_UNKNOWN: { status: 400, hint: 'The host name in the address does not resolve: check its spelling (and this machine\'s DNS), then try again.' },
  PROVIDER_CONNECTION_REFUSED: { status: 502, hint: 'Nothing accepts connections at that host and port: check the port in the address and that the server is running, then try again.' },
  PROVIDER_TLS_FAILED: { status: 502, hint: 'The server\'s TLS certificate did not verify (expired, self-signed, or issued for another name), or the port does not speak https: fix the certificate, use the name it is issued for, or trust a private CA with NODE_EXTRA_CA_CERTS.' },
  NOT_A_CALDAV_SERVER: { status: 400, hint: 'Give the server\'s CalDAV address, not a web page\'s: e.g. https://caldav.icloud.com/, https://caldav.fastmail.com/, https://cloud.example.com/remote.php/dav/ (Nextcloud) or the Radicale root.' },
  FEED_NOT_FOUND: { status: 400, hint: 'The feed\'s address answers "not found": copy its current address from the calendar\'s sharing settings (resetting a secret address changes it) and connect it again.' },
  CALDAV_ORIGIN_REFUSED: { status: 400, hint: 'calsync sends a CalDAV login only to the servers the account was connected with and discovery found: connect again with the address the message names, or bind one of the calendars the account lists.' },
  REMOTE_CALENDAR_UNKNOWN: {
    status: 400, hint: 'Bind one of the calendars the account has: GET /admin/v1/accounts/ACCOUNT_ID/calendars lists them with their remoteCalendarId (an ICS account has one, its feed).',
    cliHint: 'Bind one of the calendars the account has: `calsync account calendars ACCOUNT_ID` lists them with their ids (an ICS account has one, its feed).',
  },
  OAUTH_NOT_COMPLETED: {
    status: 400, hint: 'Start the authorization again (POST /admin/v1/accounts/PROVIDER/authorize, PROVIDER being google or microsoft) and complete it within 10 minutes with the state it returned.',
    cliHint: 'Open the printed URL in a browser on this machine, allow access, and finish before the command gives up; then run the command again.',
  },
  PASS_STOPPED: {
    status: 409, hint: 'The brakes stopped the pass before it mirrored a wipe or more deletions than the budget: see what it would delete (GET /admin/v1/bindings/{id}/stopped-pass), then confirm or dismiss it.',
    cliHint: 'See what it would delete with `calsync stopped show BINDING`; if that is meant, run the pass again with --confirm-wipe or --confirm-deletions (or `calsync stopped confirm`), else `calsync stopped dismiss`.',
  },
  CONFLICT_NOT_OPEN: { status: 409, hint: 'List open conflicts (GET /admin/v1/conflicts, `calsync conflicts list`) for what is still asked.' },

  // Operators settling what the engine could not (quarantine, stopped passes, bindings, accounts).
  BINDING_BUSY: { status: 409, hint: 'A pass of this binding is running: try again once it has finished (a stalled one lets go within a minute); nothing was changed.' },
  BINDING_PAUSED: {
    status: 409, hint: 'The binding is paused: resume it first (POST /admin/v1/bindings/{id}/resume), then try again.',
    cliHint: 'The binding is paused: resume it first with `calsync binding resume ID`, then try again.',
  },
  BINDING_UNBINDING: { status: 409, hint: 'The binding is being unbound and takes no other change: wait until it is gone from the list of bindings; a failed unbind shows as a dead unbind_binding job in `calsync status`.' },
  ACCOUNT_NOT_ACTIVE: {
    status: 409, hint: 'The binding\'s account is revoked or disconnected: connect it again (a Google or Microsoft account: POST /admin/v1/accounts/google or /admin/v1/accounts/microsoft with its accountId), which resumes its bindings.',
    cliHint: 'The binding\'s account is revoked or disconnected: connect it again (a Google or Microsoft account: `calsync connect google --account ID` or `calsync connect microsoft --account ID`), which resumes its bindings.',
  },
  PASS_NOT_STOPPED: { status: 409, hint: 'The binding has no stopped pass, or a newer one than the pass named: list stopped passes again and act on the one shown.' },
  HELD_FOR_CONFLICT: { status: 409, hint: 'The item waits for a person to settle an open conflict on it: resolve that conflict instead of lifting the hold.' },
  JOB_NOT_DEAD: { status: 409, hint: 'The job still has attempts left or is running, so the queue will run it: replay only jobs listed as dead (GET /admin/v1/dead-jobs); nothing was changed.' },

  // Resources and bookings (src/engine/bookings.ts).
  SLOT_TAKEN: {
    status: 409, hint: 'The time is no longer free (another booking or an event of the resource\'s calendars holds it, with the buffers): ask for availability again and book a slot it offers; nothing was changed.',
    google: { domain: 'calsync', reason: 'slotTaken' },
  },
  SLOT_UNAVAILABLE: {
    status: 409, hint: 'The resource does not take bookings then (outside its working hours, sooner than its minimum notice or past its horizon): book a slot that availability offers; nothing was changed.',
    google: { domain: 'calsync', reason: 'slotUnavailable' },
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409, hint: 'This Idempotency-Key was used for another request: send a new key for a new booking, or repeat the first request exactly to get its answer again; nothing was changed.',
    google: { domain: 'calsync', reason: 'idempotencyKeyReused' },
  },
  BOOKING_NOT_LIVE: {
    status: 409, hint: 'The booking is cancelled, or its hold expired: make a new booking; nothing was changed.',
    google: { domain: 'calsync', reason: 'bookingNotLive' },
  },
  BOOKING_SYNC_TOKEN_INVALID: {
    status: 400, hint: 'Send the nextSyncToken of an earlier GET /admin/v1/bookings of this tenant, unchanged; without one, list in full (no syncToken) and keep the nextSyncToken of its last page.',
    google: { domain: 'calsync', reason: 'bookingSyncTokenInvalid' },
  },
  // Signed inbound sources (src/http/inbound-webhooks.ts).
  INBOUND_SIGNATURE_INVALID: { status: 401, hint: 'Sign the post with the source\'s secret over its raw body (Calendly: the signing key of the webhook subscription), with a current timestamp where the scheme has one, and post to the URL the source was created with; nothing was stored.' },
  INBOUND_PAYLOAD_INVALID: { status: 400, hint: 'The post is authentic but not a payload calsync reads: send Calendly\'s documented invitee payload, or the generic scheme\'s JSON (README, "Signed inbound sources"); nothing was stored.' },
  RESOURCE_IN_USE: { status: 409, hint: 'Cancel the resource\'s bookings still to come first (GET /admin/v1/bookings?resourceId=…), then delete it; nothing was changed.' },
  MIRROR_EXISTS: { status: 409, hint: 'A rule already mirrors this calendar into that one (GET /admin/v1/mirrors): remove it first to make it again with other settings; nothing was changed.' },

  // CLI.
  USAGE: { status: 400, hint: 'Run the command with --help to see its arguments.' },
  TENANT_NOT_FOUND: { status: 404, hint: 'List tenants with `calsync tenant list` and pass one of their ids.' },
  JOB_NOT_FOUND: { status: 404, hint: 'List failed jobs with `calsync status` and pass one of their ids.' },
} as const satisfies Record<string, { status: number; hint: string; cliHint?: string; google?: GoogleReason }>;

/** An error as Google's APIs describe it in `error.errors[]`. */
export interface GoogleReason {
  domain: string;
  reason: string;
  locationType?: 'header' | 'parameter';
  location?: string;
}

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

  /** The fix to print on the command line. */
  get cliHint(): string {
    return cliHintOf(this.code);
  }
}

export function isCalsyncError(error: unknown, code?: ErrorCode): error is CalsyncError {
  return error instanceof CalsyncError && (code === undefined || error.code === code);
}

/** Google's description of the error, where Google has one for it. */
export function googleReasonOf(code: ErrorCode): GoogleReason | null {
  const entry = errorCatalogue[code] as { google?: GoogleReason };
  return entry.google ?? null;
}

export function cliHintOf(code: ErrorCode): string {
  const entry: { hint: string; cliHint?: string } = errorCatalogue[code];
  return entry.cliHint ?? entry.hint;
}
