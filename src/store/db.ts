// The database handle: a pg pool whose connections see calsync's schema first, and the
// one place that turns driver and server errors into calsync error codes (by SQLSTATE
// and socket error code, never by message text).
import pg from 'pg';
import { CalsyncError } from '../errors.ts';

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;
export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

export const schemaName = 'calsync';

export function createPool(connectionString: string, options: { max?: number; applicationName?: string } = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'calsync',
    options: `-c search_path=${schemaName},public`,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client whose server went away emits here; the next query reports it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** A loggable form of a connection string, without its password. */
export function redactUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

export function classifyDatabaseError(error: unknown, connectionString: string): unknown {
  if (error instanceof CalsyncError) return error;
  const code = (error as { code?: string }).code;
  const where = redactUrl(connectionString);
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ECONNRESET':
    case '57P03': // cannot_connect_now: the server is starting or shutting down
      return new CalsyncError('DATABASE_UNREACHABLE', `cannot connect to Postgres at ${where} (${code})`, {}, { cause: error });
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification
      return new CalsyncError('DATABASE_AUTH_FAILED', `Postgres at ${where} rejected the credentials`, {}, { cause: error });
    case '3D000': // invalid_catalog_name
      return new CalsyncError('DATABASE_MISSING', `the database in ${where} does not exist`, {}, { cause: error });
    default:
      // pg 8 turns the server's refusal of SSL (its "N" answer to SSLRequest) into a plain
      // Error without a code, so this one is known by its text.
      if ((error as Error)?.message === 'The server does not support SSL connections') {
        return new CalsyncError('DATABASE_SSL_UNSUPPORTED', `DATABASE_URL asks for SSL and Postgres at ${where} does not support it`, {}, { cause: error });
      }
      if ((error as Error)?.message?.includes('timeout expired')) {
        return new CalsyncError('DATABASE_UNREACHABLE', `cannot connect to Postgres at ${where} (timed out)`, {}, { cause: error });
      }
      return error;
  }
}

export async function withTransaction<T>(db: Db, work: (client: DbClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
