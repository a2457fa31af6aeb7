// JSON schemas shared by the operator routes (admin-quarantine, admin-passes,
// admin-history, admin-bindings, admin-accounts): Fastify checks bodies and query strings
// with them, serialises answers with them, and @fastify/swagger puts them in the OpenAPI
// document. OpenAPI 3.0 dialect (nullable, no `const`, no type lists).
import type { FastifyRequest } from 'fastify';
import { CalsyncError } from '../errors.ts';
import type { TokenSigner } from './token-signing.ts';

export const adminTags = ['operator'];

export const uuidString = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' } as const;
export const nullableString = { type: 'string', nullable: true } as const;
export const nullableDate = { type: 'string', format: 'date-time', nullable: true } as const;
export const anyValue = { nullable: true } as const;
export const anyObject = { type: 'object', additionalProperties: true } as const;
/** An operator's words kept with the action in the audit trail. */
export const note = { type: 'string', minLength: 1, maxLength: 500 } as const;
export const pageToken = { type: 'string', minLength: 1, maxLength: 2048 } as const;
// Query strings stay strings (the app's Ajv does not coerce types), so numbers and
// booleans there are checked by pattern.
export const maxResults = { type: 'string', pattern: '^(500|[1-4][0-9]{2}|[1-9][0-9]?)$', description: 'Items per page, 1 to 500.' } as const;
export const booleanParameter = { type: 'string', enum: ['true', 'false'] } as const;

const error = {
  type: 'object', additionalProperties: true,
  properties: {
    error: {
      type: 'object', additionalProperties: true,
      properties: {
        code: { type: 'integer' }, message: { type: 'string' }, status: { type: 'string' },
        errors: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { domain: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' } } } },
        calsync: { type: 'object', additionalProperties: true, properties: { code: { type: 'string' }, hint: { type: 'string' }, field: { type: 'string' } } },
      },
    },
  },
} as const;

/** An error answer in calsync's shape (docs/errors.md), described for the document. */
export function errorAnswer(description: string): object {
  return { ...error, description };
}

/**
 * A preValidation hook for routes whose every body member is optional: a POST without a
 * body is an empty object (Fastify checks an absent body against the schema otherwise).
 */
export async function absentBodyIsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

/** Who asked, for the audit trail: the API key. */
export function actorOf(request: FastifyRequest): string {
  if (!request.principal) throw new CalsyncError('UNAUTHENTICATED', 'missing API key');
  return `api-key:${request.principal.apiKeyId}`;
}

/** Page tokens are opaque: where the previous page ended, signed for the route that listed it (token-signing.ts). */
export function encodePageToken(tokens: TokenSigner, route: string, position: unknown): string {
  return tokens.sign(`operator page token ${route}`, position);
}

/** The position in a page token this route gave out, or INVALID_REQUEST naming pageToken. */
export function decodePageToken<T>(tokens: TokenSigner, route: string, token: string | undefined, check: (value: unknown) => value is T): T | null {
  if (token === undefined) return null;
  const value = tokens.open(`operator page token ${route}`, token);
  if (!check(value)) throw new CalsyncError('INVALID_REQUEST', 'pageToken is not one this route gave out', { parameter: 'pageToken' });
  return value;
}
