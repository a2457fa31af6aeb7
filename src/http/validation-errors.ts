// Fastify's schema validation errors (Ajv's) as calsync errors that name what is wrong:
// a query or path parameter as Google names one (`errors[0].location`), a member of the
// body as the core's mapping does (`attendees[0].email`, in `error.calsync.field`).
// Ajv writes where it failed as a JSON pointer and what as a keyword with params.
import type { FastifyError, FastifySchemaValidationError } from 'fastify';
import { CalsyncError } from '../errors.ts';

/** `/attendees/0/email` → `attendees[0].email`. */
function memberPath(pointer: string): string {
  return pointer.split('/').slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment), '');
}

/** The member an error is about: where it failed, or the property a keyword names below it. */
function subject(failure: FastifySchemaValidationError): string {
  const params = failure.params as { missingProperty?: string; additionalProperty?: string };
  const at = memberPath(failure.instancePath);
  const below = params.missingProperty ?? params.additionalProperty;
  return below === undefined ? at : at ? `${at}.${below}` : below;
}

function describe(failure: FastifySchemaValidationError, name: string, inQuery: boolean): string {
  const params = failure.params as { additionalProperty?: string; type?: string };
  if (failure.keyword === 'required') return `${name} is required`;
  if (failure.keyword === 'additionalProperties') return inQuery ? `${name} is not a parameter of this route` : `${name} is not a member here`;
  // A query string holds strings and, for a parameter given several times, arrays of them.
  if (inQuery && failure.keyword === 'type' && params.type === 'string') return `${name} was given more than once; give it once`;
  return `${name} ${failure.message ?? 'is invalid'}`;
}

/** The calsync error for Fastify's FST_ERR_VALIDATION. */
export function validationError(error: FastifyError): CalsyncError {
  const failure = error.validation?.[0];
  if (!failure) return new CalsyncError('INVALID_REQUEST', error.message);
  const name = subject(failure);
  switch (error.validationContext) {
    case 'querystring':
    case 'params': {
      // The parameter itself, not the element of a repeated one.
      const parameter = name.split(/[.[]/)[0]!;
      return new CalsyncError('INVALID_REQUEST', describe(failure, parameter, true), parameter ? { parameter } : {});
    }
    case 'headers':
      return new CalsyncError('INVALID_REQUEST', describe(failure, `header ${name}`, false), { header: name });
    default:
      return new CalsyncError('INVALID_REQUEST', describe(failure, name || 'the body', false), name ? { field: name } : {});
  }
}
