// Typed errors of the pure core. Bad input to any core function ends here, never in a
// crash or a silent drop; `path` says where in the input the problem is (a property
// path, or `line N` of iCalendar text).
export type CoreErrorCode =
  | 'INVALID_EVENT'
  | 'INVALID_ICALENDAR'
  | 'INVALID_RECURRENCE'
  | 'UNKNOWN_TIME_ZONE'
  | 'INVALID_POLICY'
  | 'INVALID_INPUT';

export class CoreError extends Error {
  override readonly name = 'CoreError';
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    readonly path: string | null = null,
  ) {
    super(path ? `${message} (at ${path})` : message);
  }
}
