// Turns any error into calsync's JSON error body, shaped like Google's API errors so
// Google client libraries surface them (the reason is Google's for the same error,
// e.g. notFound, fullSyncRequired, conditionNotMet), plus calsync's own code and fix:
//   {"error": {"code": 404, "message": "...", "status": "NOT_FOUND",
//              "errors": [{"domain": "global", "reason": "notFound", "message": "..."}],
//              "calsync": {"code": "NOT_FOUND", "hint": "..."}}}
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CalsyncError, errorCatalogue, googleReasonOf, type ErrorCode } from '../errors.ts';
import { classifyRequestDatabaseError } from './database-errors.ts';
import { validationError } from './validation-errors.ts';

const canonicalStatus: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED', 409: 'ALREADY_EXISTS', 410: 'NOT_FOUND', 412: 'FAILED_PRECONDITION',
  413: 'INVALID_ARGUMENT', 415: 'INVALID_ARGUMENT', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE',
};

// Fastify's own error codes for bad requests, mapped once to calsync codes.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_REQUEST',
};

export function toCalsyncError(error: unknown): CalsyncError {
  if (error instanceof CalsyncError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_VALIDATION') return validationError(fastifyError);
  const mapped = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
  if (mapped) return new CalsyncError(mapped, fastifyError.message);
  // JSON.parse failures reach the handler as SyntaxError with status 400.
  if (fastifyError.statusCode === 400) return new CalsyncError('INVALID_REQUEST', fastifyError.message);
  const database = classifyRequestDatabaseError(error);
  if (database) return database;
  return new CalsyncError('INTERNAL', 'internal error', {}, { cause: error });
}

export function errorBody(error: CalsyncError): object {
  const { status } = errorCatalogue[error.code];
  const google = googleReasonOf(error.code) ?? { domain: 'calsync', reason: error.code };
  // A parameter or header the message is about (e.g. timeMax) is named where Google names
  // one; a member of the body, which Google names only in its message, in calsync's part.
  const location = typeof error.details.parameter === 'string' ? { locationType: 'parameter', location: error.details.parameter }
    : typeof error.details.header === 'string' ? { locationType: 'header', location: error.details.header } : {};
  const field = typeof error.details.field === 'string' ? { field: error.details.field } : {};
  return {
    error: {
      code: status,
      message: error.message,
      status: canonicalStatus[status] ?? 'UNKNOWN',
      errors: [{ ...google, ...location, message: error.message }],
      calsync: { code: error.code, hint: error.hint, ...field },
    },
  };
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const failure = toCalsyncError(error);
  if (failure.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
  // A value Postgres refused got past the edge's checks: answered, and worth a look.
  else if (failure.cause === error && !(error as FastifyError).statusCode) request.log.warn({ err: error }, 'the database refused a value of the request');
  // RFC 9110 Retry-After in whole seconds, as Google sends it with 429.
  if (typeof failure.details.retryAfterSeconds === 'number') void reply.header('retry-after', String(failure.details.retryAfterSeconds));
  void reply.status(failure.status).send(errorBody(failure));
}
