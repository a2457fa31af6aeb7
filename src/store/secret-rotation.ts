// Re-encrypts every sealed value with the current key. Each batch is one transaction,
// so an interrupted rotation leaves every row readable (old or new key) and can simply
// be run again; the key check moves to the new key only when nothing old is left.
import { withTransaction, type Db } from './db.ts';
import { writeKeyCheck, type Secrets } from './secrets.ts';

const batchSize = 500;

interface SealedColumn {
  table: string;
  column: string;
  keys: string[];
  /** The AAD context the value was sealed with. */
  context: (row: Record<string, string>) => string;
}

// accounts.credentials holds logins, OAuth grants and ICS feed addresses alike.
export const sealedColumns: SealedColumn[] = [
  { table: 'accounts', column: 'credentials', keys: ['id'], context: (row) => `account:${row.id}` },
  { table: 'watch_channels', column: 'secret', keys: ['tenant_id', 'id'], context: (row) => `watch-channel:${row.tenant_id}:${row.id}` },
  { table: 'booking_channels', column: 'secret', keys: ['tenant_id', 'id'], context: (row) => `booking-channel:${row.tenant_id}:${row.id}` },
  { table: 'inbound_sources', column: 'secret', keys: ['tenant_id', 'id'], context: (row) => `inbound-source:${row.tenant_id}:${row.id}` },
];

export async function rotateSecrets(db: Db, secrets: Secrets, onProgress: (done: number) => void = () => undefined): Promise<number> {
  const currentId = Buffer.from(secrets.current.id, 'hex');
  let rotated = 0;
  for (const sealed of sealedColumns) {
    for (;;) {
      const count = await withTransaction(db, async (client) => {
        const { rows } = await client.query<Record<string, string> & { sealed: Buffer }>(
          `select *, ${sealed.column} as sealed from ${sealed.table}
            where ${sealed.column} is not null and substring(${sealed.column} from 2 for 4) <> $1
            limit ${batchSize} for update skip locked`, [currentId]);
        for (const row of rows) {
          const context = sealed.context(row);
          const resealed = secrets.seal(secrets.open(row.sealed, context), context);
          const where = sealed.keys.map((key, i) => `${key} = $${i + 2}`).join(' and ');
          await client.query(`update ${sealed.table} set ${sealed.column} = $1 where ${where}`, [resealed, ...sealed.keys.map((key) => row[key])]);
        }
        return rows.length;
      });
      rotated += count;
      onProgress(rotated);
      if (count < batchSize) break;
    }
  }
  await writeKeyCheck(db, secrets);
  return rotated;
}
