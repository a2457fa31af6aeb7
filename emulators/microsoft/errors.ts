// Microsoft Graph errors in the shape the errors page gives
// (learn.microsoft.com/graph/errors, "Error resource type"):
//   {"error": {"code": "…", "message": "…", "innerError": {"date", "request-id", "client-request-id"}}}
// The code strings are Graph's: the errors page's list (syncStateNotFound,
// resyncRequired, serviceNotAvailable…), Exchange's codes that Graph passes through for
// Outlook items (ErrorItemNotFound, ErrorIrresolvableConflict, ErrorInvalidParameter),
// and those the throttling page and captured traffic show (TooManyRequests,
// ApplicationThrottled "Application is over its MailboxConcurrency limit.",
// InvalidAuthenticationToken, ValidationError for a failed subscription validation).
// innerError is filled per request in app.ts, where the request ids are known.

export class GraphError extends Error {
  override readonly name = 'GraphError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Response headers that go with the error (Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
    /** innerError members besides date and the request ids (the throttling page's code, message, status). */
    readonly innerExtra: Record<string, string> = {},
  ) {
    super(message);
  }

  body(inner: { date: string; 'request-id': string; 'client-request-id': string }): Record<string, unknown> {
    return { error: { code: this.code, message: this.message, innerError: { ...this.innerExtra, ...inner } } };
  }
}

export type SyncStateCode = 'syncStateNotFound' | 'resyncRequired';

/** How an expired delta token is answered: the code, and whether it is capitalised (SyncStateNotFound). */
export interface ExpiredTokenStyle {
  code: SyncStateCode;
  capitalised: boolean;
}

const retryAfter = (seconds: number): Record<string, string> => ({ 'retry-after': String(seconds) });

export const graphErrors = {
  invalidAuthenticationToken: (message = 'Access token is empty.') =>
    new GraphError(401, 'InvalidAuthenticationToken', message, { 'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"' }),
  itemNotFound: () => new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.'),
  resourceNotFound: (what = 'Resource') => new GraphError(404, 'ResourceNotFound', `${what} not found.`),
  /** 400 for a parameter Exchange refuses (the calendarView window, for one). */
  invalidParameter: (message: string) => new GraphError(400, 'ErrorInvalidParameter', message),
  invalidRequest: (message: string) => new GraphError(400, 'ErrorInvalidRequest', message),
  invalidUrlQuery: (message: string) => new GraphError(400, 'ErrorInvalidUrlQuery', message),
  badRequest: (message: string) => new GraphError(400, 'BadRequest', message),
  invalidTimeZone: (name: unknown) =>
    new GraphError(400, 'TimeZoneNotSupportedException', `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${String(name ?? '')}'.`),
  /** Unknown members of a request body: OData's RequestBodyRead. */
  unknownProperty: (property: string, type = 'microsoft.graph.event') =>
    new GraphError(400, 'RequestBodyRead', `The property '${property}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`),
  unreadableBody: () => new GraphError(400, 'RequestBodyRead', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.'),
  /** Stale If-Match on an Outlook item. */
  irresolvableConflict: () =>
    new GraphError(412, 'ErrorIrresolvableConflict', 'The change key passed in the request does not match the current change key for the item.'),
  expiredDeltaToken: (style: ExpiredTokenStyle) => {
    const code = style.capitalised ? style.code[0]!.toUpperCase() + style.code.slice(1) : style.code;
    return style.code === 'syncStateNotFound'
      ? new GraphError(410, code, 'The sync state generation is not found. The delta token is expired and data must be synchronized again.')
      : new GraphError(410, code, 'The delta token is no longer valid, and the app must reset the sync state.');
  },
  /** The throttling page's sample response, innerError members included. */
  tooManyRequests: (seconds: number) =>
    new GraphError(429, 'TooManyRequests', 'Please retry again later.', retryAfter(seconds), { code: '429', message: 'Please retry after', status: '429' }),
  mailboxConcurrency: (seconds: number) => new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', retryAfter(seconds)),
  serviceUnavailable: (seconds: number) => new GraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay, the length of which may be specified in a Retry-After header.', retryAfter(seconds)),
  gatewayTimeout: () => new GraphError(504, 'UnknownError', 'The server, while acting as a proxy, did not receive a timely response from the upstream server it needed to access in attempting to complete the request.'),
  internal: () => new GraphError(500, 'generalException', 'An unspecified error has occurred.'),
  validationError: (message: string) => new GraphError(400, 'ValidationError', message),
  subscriptionValidationFailed: () =>
    new GraphError(400, 'ValidationError', 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.'),
  methodNotAllowed: () => new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.'),
} as const;

/**
 * Errors of the identity platform's token endpoint: RFC 6749 §5.2 with Microsoft's members
 * (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow, "Error response"):
 * error, error_description ("AADSTS…: … Trace ID … Correlation ID … Timestamp …"),
 * error_codes, timestamp, trace_id, correlation_id, error_uri.
 */
export class AadError extends Error {
  override readonly name = 'AadError';
  constructor(readonly status: number, readonly error: string, readonly aadsts: number, message: string) {
    super(message);
  }

  body(now: number, traceId: string, correlationId: string): Record<string, unknown> {
    const timestamp = new Date(now).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
    return {
      error: this.error,
      error_description: `AADSTS${this.aadsts}: ${this.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [this.aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${this.aadsts}`,
    };
  }
}

export const aadErrors = {
  missingParameter: (name: string) => new AadError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  unknownClient: (clientId: string) =>
    new AadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`),
  badSecret: () => new AadError(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.'),
  redirectMismatch: (uri: string) =>
    new AadError(400, 'invalid_request', 50011, `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application.`),
  unsupportedGrant: () => new AadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.'),
  badGrant: () => new AadError(400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed.'),
  codeRedeemed: () => new AadError(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.'),
  codeExpired: () => new AadError(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.'),
  pkceMismatch: () => new AadError(400, 'invalid_grant', 50148, 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.'),
  pkceMissing: () => new AadError(400, 'invalid_request', 50148, 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.'),
  revoked: () => new AadError(400, 'invalid_grant', 50173, 'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.'),
  refreshExpired: () => new AadError(400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity. The token was issued on a date and was inactive for a time longer than allowed.'),
} as const;
