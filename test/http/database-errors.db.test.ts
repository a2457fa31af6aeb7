// Postgres errors about a request's values are 400s with calsync's code (and the column,
// where Postgres names one), a deadlock or serialization failure a 503 to retry: raised
// by a real Postgres, answered by the app's error handler.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import pg from 'pg';
import { errorHandler } from '../../src/http/errors.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

async function failure(sql: string, values: unknown[] = []): Promise<pg.DatabaseError> {
  const error = await t.db.query(sql, values).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof pg.DatabaseError, `${sql} failed with a DatabaseError`);
  return error;
}

/** The app's answer to a route that throws `error`. */
async function answer(error: unknown): Promise<{ status: number; retryAfter: string | undefined; body: any }> {
  const app = Fastify();
  app.setErrorHandler(errorHandler);
  app.get('/', async () => { throw error; });
  const res = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  return { status: res.statusCode, retryAfter: res.headers['retry-after'] as string | undefined, body: res.json() };
}

test('values Postgres cannot store are 400s with a code of their own', async () => {
  const cases: Array<[string, string, unknown[], string]> = [
    ['22021', 'select $1::text', ['a\u0000b'], 'STRING_NOT_STORABLE'],
    ['22P05', `select '"\\u0000"'::jsonb`, [], 'STRING_NOT_STORABLE'],
    ['22001', 'insert into short values ($1)', ['abc'], 'VALUE_TOO_LARGE'],
    ['22003', 'select $1::integer', ['2147483648'], 'VALUE_OUT_OF_RANGE'],
    ['22008', 'select $1::timestamptz', ['0000-01-01T00:00:00Z'], 'VALUE_OUT_OF_RANGE'],
    ['22007', 'select $1::timestamptz', ['next tuesday-ish'], 'VALUE_MALFORMED'],
    ['22P02', `select '"\\ud800"'::jsonb`, [], 'VALUE_MALFORMED'],
    ['22P02', 'select $1::uuid', ['not-a-uuid'], 'VALUE_MALFORMED'],
  ];
  await t.db.query('create table short (v varchar(2))');
  for (const [sqlstate, sql, values, code] of cases) {
    const error = await failure(sql, values);
    assert.equal(error.code, sqlstate, sql);
    const { status, body } = await answer(error);
    assert.equal(status, 400, sql);
    assert.equal(body.error.calsync.code, code, sql);
    assert.equal(body.error.errors[0].reason, 'invalid', sql);
    assert.match(body.error.message, /nothing was changed/);
  }
});

test('an index row too big to store (54000) is VALUE_TOO_LARGE', async () => {
  await t.db.query('create table wide (v text); create index on wide (v)');
  // 300 random md5 digests: about 9,600 characters that compress too little to fit a btree row (2,704 bytes).
  const error = await failure(`insert into wide select string_agg(md5(random()::text), '') from generate_series(1, 300)`);
  assert.equal(error.code, '54000');
  const { status, body } = await answer(error);
  assert.deepEqual([status, body.error.calsync.code], [400, 'VALUE_TOO_LARGE']);
});

test('the column Postgres names is the field named', async () => {
  const error = await failure('select $1::integer', ['99999999999']);
  error.column = 'sequence';
  error.table = 'events';
  const { body } = await answer(error);
  assert.equal(body.error.calsync.field, 'sequence');
  assert.match(body.error.message, /^the value of sequence \(events\) is a number out of range/);
});

test('a deadlock and a serialization failure are 503 with Retry-After, not 500', async () => {
  await t.db.query('create table rows_ (id int primary key, n int); insert into rows_ values (1, 0), (2, 0)');
  const [a, b] = [await t.db.connect(), await t.db.connect()];
  try {
    // Deadlock: each holds the row the other wants; Postgres cancels one after deadlock_timeout (1 s).
    await a.query('begin');
    await b.query('begin');
    await a.query('update rows_ set n = 1 where id = 1');
    await b.query('update rows_ set n = 1 where id = 2');
    const results = await Promise.allSettled([a.query('update rows_ set n = 2 where id = 2'), b.query('update rows_ set n = 2 where id = 1')]);
    const deadlock = results.find((r) => r.status === 'rejected')!.reason as pg.DatabaseError;
    await a.query('rollback');
    await b.query('rollback');
    assert.equal(deadlock.code, '40P01');

    // Serialization failure: two serializable transactions each read what the other writes.
    for (const c of [a, b]) await c.query('begin isolation level serializable');
    await a.query('select sum(n) from rows_');
    await b.query('select sum(n) from rows_');
    await a.query('update rows_ set n = 5 where id = 1');
    await b.query('update rows_ set n = 5 where id = 2');
    await a.query('commit');
    const serialization = await b.query('commit').then(() => null, (e: pg.DatabaseError) => e);
    await b.query('rollback').catch(() => undefined);
    assert.equal(serialization?.code, '40001');

    for (const error of [deadlock, serialization]) {
      const { status, retryAfter, body } = await answer(error);
      assert.deepEqual([status, retryAfter, body.error.calsync.code, body.error.errors[0].reason], [503, '1', 'DATABASE_BUSY', 'backendError']);
    }
  } finally {
    a.release();
    b.release();
  }
});

test('any other database error is still a 500 without its text', async () => {
  const error = await failure('select * from no_such_table');
  const { status, body } = await answer(error);
  assert.deepEqual([status, body.error.calsync.code, body.error.message], [500, 'INTERNAL', 'internal error']);
});
