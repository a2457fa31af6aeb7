// Errors Postgres raises about the values of one request, classified by SQLSTATE (never by
// message text) into calsync codes, so a value the edge did not catch is a 400 naming
// what Postgres names, not a 500; and the two ways Postgres cancels one of two
// concurrent transactions are a 503 to retry, not a 500. Everything else stays a defect.
// (postgresql.org/docs/current/errcodes-appendix.html)
import pg from 'pg';
import { CalsyncError, type ErrorCode } from '../errors.ts';

const bySqlstate: Record<string, { code: ErrorCode; what: string }> = {
  '22021': { code: 'STRING_NOT_STORABLE', what: 'holds a byte sequence that is not UTF-8 (a NUL character)' }, // character_not_in_repertoire
  '22P05': { code: 'STRING_NOT_STORABLE', what: 'holds a character Postgres cannot store (\\u0000 or an unpaired surrogate)' }, // untranslatable_character
  '22001': { code: 'VALUE_TOO_LARGE', what: 'is longer than its column takes' }, // string_data_right_truncation
  '54000': { code: 'VALUE_TOO_LARGE', what: 'is too large to index' }, // program_limit_exceeded, e.g. an index row over 2712 bytes
  '22003': { code: 'VALUE_OUT_OF_RANGE', what: 'is a number out of range' }, // numeric_value_out_of_range
  '22008': { code: 'VALUE_OUT_OF_RANGE', what: 'is a date or time out of range' }, // datetime_field_overflow
  '22007': { code: 'VALUE_MALFORMED', what: 'is not a date or time' }, // invalid_datetime_format
  '22P02': { code: 'VALUE_MALFORMED', what: 'is not in the form its column takes' }, // invalid_text_representation (also JSON with a lone \\ud800)
  '40P01': { code: 'DATABASE_BUSY', what: 'deadlock detected' }, // deadlock_detected
  '40001': { code: 'DATABASE_BUSY', what: 'serialization failure' }, // serialization_failure
};

/** Seconds a client waits before retrying a request Postgres cancelled to resolve a deadlock. */
const retryAfterSeconds = 1;

/** The calsync error for a Postgres error about a request's values, or null for any other error. */
export function classifyRequestDatabaseError(error: unknown): CalsyncError | null {
  if (!(error instanceof pg.DatabaseError) || error.code === undefined) return null;
  const known = bySqlstate[error.code];
  if (!known) return null;
  if (known.code === 'DATABASE_BUSY') {
    return new CalsyncError('DATABASE_BUSY', `the database cancelled this request (${known.what}); nothing was changed: retry it`, { retryAfterSeconds }, { cause: error });
  }
  // Postgres names the column for some of these (COPY, domain and row checks), not for
  // all: the field is named where it is known.
  const field = error.column;
  const subject = field ? `the value of ${field}${error.table ? ` (${error.table})` : ''}` : 'a value of the request';
  return new CalsyncError(known.code, `${subject} ${known.what}; nothing was changed`, field ? { field } : {}, { cause: error });
}
