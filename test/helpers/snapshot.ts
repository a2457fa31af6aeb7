// What a refused request must leave as it was: the rows of every calsync table (counted,
// soft-deleted ones apart, and digested, so an update shows as well as an insert) and
// the queue's jobs. API keys are only counted: authenticating writes last_used_at.
import type { Db } from '../../src/store/db.ts';

export async function snapshot(db: Db): Promise<Record<string, number | string>> {
  const { rows: tables } = await db.query<{ name: string; soft: string | null }>(
    `select c.table_name as name, max(c.column_name) filter (where c.column_name in ('deleted_at', 'revoked_at')) as soft
       from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
      where c.table_schema = 'calsync' and t.table_type = 'BASE TABLE' group by c.table_name order by 1`);
  const counts: Record<string, number | string> = {};
  for (const { name, soft } of tables) {
    const digest = name === 'api_keys' ? `''` : `md5(coalesce(string_agg(t::text, '|' order by t::text), ''))`;
    const { rows: [row] } = await db.query<{ n: string; gone: string; digest: string }>(
      `select count(*) as n, ${soft ? `count(${soft})` : '0'} as gone, ${digest} as digest from calsync.${name} t`);
    counts[name] = Number(row!.n);
    if (soft) counts[`${name}.${soft}`] = Number(row!.gone);
    if (row!.digest) counts[`${name}.digest`] = row!.digest;
  }
  const { rows: [jobs] } = await db.query<{ n: string }>('select count(*) as n from graphile_worker.jobs');
  counts['graphile_worker.jobs'] = Number(jobs!.n);
  return counts;
}
