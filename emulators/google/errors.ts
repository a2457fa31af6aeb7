// Google Calendar API v3 errors, in the shape and wording of "Handle API errors"
// (developers.google.com/workspace/calendar/api/guides/errors): "This section provides
// the complete JSON representation of each listed error". Member order follows the
// guide's examples: error.errors[] {domain, reason, message, locationType?, location?},
// then code and message. (The guide's own JSON has trailing commas; this is valid JSON.)
// The bodies calsync's app API answers (src/errors.ts) carry the same domain, reason
// and location for the same errors.

export interface GoogleErrorItem {
  domain: string;
  reason: string;
  message: string;
  locationType?: 'header' | 'parameter';
  location?: string;
}

export interface GoogleErrorBody {
  error: { errors: GoogleErrorItem[]; code: number; message: string };
}

export class GoogleApiError extends Error {
  override readonly name = 'GoogleApiError';
  constructor(
    readonly status: number,
    readonly item: GoogleErrorItem,
    /** Response headers that go with the error (Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(item.message);
  }

  body(): GoogleErrorBody {
    return { error: { errors: [{ ...this.item }], code: this.status, message: this.item.message } };
  }
}

const at = (locationType: 'header' | 'parameter', location: string) => ({ locationType, location });

/** Every error the emulator answers, named by Google's reason. */
export const googleErrors = {
  /** 400, the guide's example for a bad request. */
  timeRangeEmpty: (location = 'timeMax') =>
    new GoogleApiError(400, { domain: 'calendar', reason: 'timeRangeEmpty', message: 'The specified time range is empty.', ...at('parameter', location) }),
  invalid: (message: string, parameter?: string) =>
    new GoogleApiError(400, { domain: 'global', reason: 'invalid', message, ...(parameter ? at('parameter', parameter) : {}) }),
  required: (message: string, parameter?: string) =>
    new GoogleApiError(400, { domain: 'global', reason: 'required', message, ...(parameter ? at('parameter', parameter) : {}) }),
  badRequest: (message: string) => new GoogleApiError(400, { domain: 'global', reason: 'badRequest', message }),
  /**
   * 400 for a syncToken sent with a parameter Google refuses with it. The reason and
   * message are what Google answers (reported in qiita.com/shiraily/items/6762046f041551c269da:
   * "Sync token cannot be used with other request restrictions., syncTokenWithRequestRestrictions").
   */
  syncTokenWithRequestRestrictions: (parameter: string) =>
    new GoogleApiError(400, {
      domain: 'calendar', reason: 'syncTokenWithRequestRestrictions',
      message: 'Sync token cannot be used with other request restrictions.', ...at('parameter', parameter),
    }),
  /** "Invalid sequence value. …" is Google's wording (seen in API responses; the reason is invalid). */
  invalidSequence: () =>
    new GoogleApiError(400, {
      domain: 'global', reason: 'invalid',
      message: 'Invalid sequence value. The specified sequence number is below the current sequence number of the resource. Re-fetch the resource and use its sequence number on the following request.',
    }),
  authError: () =>
    new GoogleApiError(401, { domain: 'global', reason: 'authError', message: 'Invalid Credentials', ...at('header', 'Authorization') },
      { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' }),
  userRateLimitExceeded: () =>
    new GoogleApiError(403, { domain: 'usageLimits', reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' }),
  rateLimitExceeded: () =>
    new GoogleApiError(403, { domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }),
  quotaExceeded: () =>
    new GoogleApiError(403, { domain: 'usageLimits', reason: 'quotaExceeded', message: 'Calendar usage limits exceeded.' }),
  notFound: () => new GoogleApiError(404, { domain: 'global', reason: 'notFound', message: 'Not Found' }),
  /** channels.stop of a channel the emulator does not know (Google names channel and project). */
  channelNotFound: (id: string) =>
    new GoogleApiError(404, { domain: 'global', reason: 'notFound', message: `Channel '${id}' not found for project 'calsync-emulator'` }),
  duplicate: () =>
    new GoogleApiError(409, { domain: 'global', reason: 'duplicate', message: 'The requested identifier already exists.' }),
  channelIdNotUnique: (id: string) =>
    new GoogleApiError(400, { domain: 'global', reason: 'channelIdNotUnique', message: `Channel id ${id} not unique` }),
  fullSyncRequired: () =>
    new GoogleApiError(410, {
      domain: 'calendar', reason: 'fullSyncRequired', message: 'Sync token is no longer valid, a full sync is required.', ...at('parameter', 'syncToken'),
    }),
  updatedMinTooLongAgo: () =>
    new GoogleApiError(410, {
      domain: 'calendar', reason: 'updatedMinTooLongAgo', message: 'The requested minimum modification time lies too far in the past.', ...at('parameter', 'updatedMin'),
    }),
  deleted: () => new GoogleApiError(410, { domain: 'global', reason: 'deleted', message: 'Resource has been deleted' }),
  conditionNotMet: () =>
    new GoogleApiError(412, { domain: 'global', reason: 'conditionNotMet', message: 'Precondition Failed', ...at('header', 'If-Match') }),
  /** 429: "rateLimitExceeded errors can return either 403 or 429 error codes". */
  tooManyRequests: (retryAfterSeconds: number) =>
    new GoogleApiError(429, { domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }, { 'retry-after': String(retryAfterSeconds) }),
  backendError: () => new GoogleApiError(500, { domain: 'global', reason: 'backendError', message: 'Backend Error' }),
} as const;

/**
 * OAuth token endpoint errors: RFC 6749 §5.2 bodies `{error, error_description}`, with
 * the descriptions Google's token endpoint gives ("Token has been expired or revoked."
 * for a dead refresh token, "Bad Request" for an unknown or used code, "Invalid code
 * verifier." / "Missing code verifier." for PKCE).
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(readonly status: number, readonly error: string, readonly description: string) {
    super(description);
  }

  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}
