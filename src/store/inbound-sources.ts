// Signed inbound sources and their deliveries (migration 000017). The secret is sealed
// with the source as context (`inbound-source:<tenant>:<id>`, as secret rotation opens
// it). A delivery is stored, and its job queued, in one statement pair of one
// transaction: an authentic post either has both or, on a database failure, neither
// (the sender retries). Every query but the ingress lookup names its tenant: the
// ingress knows only the id in the URL, and the signature proves the rest.
import { randomBytes, randomUUID } from 'node:crypto';
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';
import type { Secrets } from './secrets.ts';

export type InboundScheme = 'calendly' | 'hmac';
export type DeliveryState = 'queued' | 'done' | 'ignored' | 'failed';

export const processInboundTask = 'process_inbound';

export interface InboundSource {
  id: string;
  tenantId: string;
  name: string;
  scheme: InboundScheme;
  resourceId: string;
  toleranceSeconds: number | null;
  signatureHeader: string | null;
  timestampHeader: string | null;
  digestEncoding: 'hex' | 'base64' | null;
  createdAt: Date;
}

export interface InboundSourceInput {
  name?: string;
  scheme: InboundScheme;
  resourceId: string;
  /** Calendly: its signing key (required). Generic: absent, one is generated. */
  secret?: string;
  toleranceSeconds?: number;
  signatureHeader?: string;
  timestampHeader?: string;
  digestEncoding?: 'hex' | 'base64';
}

export interface InboundDelivery {
  id: string;
  sourceId: string;
  sourceEventId: string;
  kind: string;
  state: DeliveryState;
  errorCode: string | null;
  error: string | null;
  bookingId: string | null;
  receivedAt: Date;
  processedAt: Date | null;
}

/**
 * The default replay window. Calendly's pages say to refuse a stale `t` without a figure
 * in the text (developer.calendly.com/api-docs/overview/webhooks/webhook-signatures);
 * three minutes is the window of the verification guides written from them
 * (skills.sh/hookdeck/webhook-skills/calendly-webhooks: 180 s). A source may be given
 * a wider one (toleranceSeconds).
 */
export const calendlyToleranceSeconds = 180;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const headerName = /^[A-Za-z0-9-]{1,64}$/;

interface SourceRow {
  id: string; tenant_id: string; name: string; scheme: InboundScheme; resource_id: string; tolerance_seconds: number | null;
  signature_header: string | null; timestamp_header: string | null; digest_encoding: 'hex' | 'base64' | null; created_at: Date;
}

const toSource = (r: SourceRow): InboundSource => ({
  id: r.id, tenantId: r.tenant_id, name: r.name, scheme: r.scheme, resourceId: r.resource_id, toleranceSeconds: r.tolerance_seconds,
  signatureHeader: r.signature_header, timestampHeader: r.timestamp_header, digestEncoding: r.digest_encoding, createdAt: r.created_at,
});

export const secretContext = (tenantId: string, id: string): string => `inbound-source:${tenantId}:${id}`;

export function inboundSourceNotFound(id: string): CalsyncError {
  return new CalsyncError('NOT_FOUND', `inbound source ${id} not found`, { sourceId: id });
}

const bad = (field: string, message: string) => new CalsyncError('INVALID_REQUEST', `${field} ${message}`, { field });

/** The input checked as a whole (the HTTP schema checks each member; the CLI has no schema). */
function checked(input: InboundSourceInput): Required<Pick<InboundSourceInput, 'scheme'>> & { secret: string; tolerance: number | null; signatureHeader: string | null; timestampHeader: string | null; encoding: 'hex' | 'base64' | null } {
  if (input.scheme !== 'calendly' && input.scheme !== 'hmac') throw bad('scheme', 'must be "calendly" or "hmac"');
  if (!uuidPattern.test(input.resourceId)) throw bad('resourceId', 'must be a resource id');
  if (input.secret !== undefined && (input.secret.length < 16 || input.secret.length > 512)) throw bad('secret', 'must be 16 to 512 characters');
  if (input.toleranceSeconds !== undefined && !(Number.isInteger(input.toleranceSeconds) && input.toleranceSeconds >= 1 && input.toleranceSeconds <= 86_400)) {
    throw bad('toleranceSeconds', 'must be a whole number of seconds from 1 to 86400');
  }
  if (input.scheme === 'calendly') {
    if (input.secret === undefined) throw bad('secret', 'is required for Calendly: the signing key of the webhook subscription');
    for (const field of ['signatureHeader', 'timestampHeader', 'digestEncoding'] as const) {
      if (input[field] !== undefined) throw bad(field, 'applies to the hmac scheme only (Calendly\'s header is fixed)');
    }
    return { scheme: 'calendly', secret: input.secret, tolerance: input.toleranceSeconds ?? calendlyToleranceSeconds, signatureHeader: null, timestampHeader: null, encoding: null };
  }
  const signature = input.signatureHeader ?? 'X-Signature';
  if (!headerName.test(signature)) throw bad('signatureHeader', 'must be an HTTP header name (letters, digits, dashes)');
  if (input.timestampHeader !== undefined && !headerName.test(input.timestampHeader)) throw bad('timestampHeader', 'must be an HTTP header name (letters, digits, dashes)');
  if (input.timestampHeader === undefined && input.toleranceSeconds !== undefined) throw bad('toleranceSeconds', 'needs timestampHeader: without a signed timestamp there is nothing to measure');
  const encoding = input.digestEncoding ?? 'hex';
  if (encoding !== 'hex' && encoding !== 'base64') throw bad('digestEncoding', 'must be "hex" or "base64"');
  return {
    scheme: 'hmac', secret: input.secret ?? randomBytes(32).toString('hex'), tolerance: input.timestampHeader === undefined ? null : input.toleranceSeconds ?? calendlyToleranceSeconds,
    signatureHeader: signature.toLowerCase(), timestampHeader: input.timestampHeader?.toLowerCase() ?? null, encoding,
  };
}

/** Creates a source of the tenant's resource; its secret too when it is generated, for the one answer that shows it. */
export async function createInboundSource(db: Queryable, secrets: Secrets, tenantId: string, input: InboundSourceInput): Promise<{ source: InboundSource; generatedSecret: string | null }> {
  const c = checked(input);
  const name = input.name ?? '';
  if (name.length > 200) throw bad('name', 'must be at most 200 characters');
  const { rowCount } = await db.query('select 1 from resources where tenant_id = $1 and id = $2', [tenantId, input.resourceId]);
  if (rowCount === 0) throw new CalsyncError('NOT_FOUND', `resource ${input.resourceId} not found`, { resourceId: input.resourceId, field: 'resourceId' });
  const id = randomUUID();
  const { rows: [row] } = await db.query<SourceRow>(
    `insert into inbound_sources (id, tenant_id, name, scheme, secret, resource_id, tolerance_seconds, signature_header, timestamp_header, digest_encoding)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
    [id, tenantId, name, c.scheme, secrets.seal(c.secret, secretContext(tenantId, id)), input.resourceId, c.tolerance, c.signatureHeader, c.timestampHeader, c.encoding]);
  return { source: toSource(row!), generatedSecret: input.secret === undefined ? c.secret : null };
}

export async function getInboundSource(db: Queryable, tenantId: string, id: string): Promise<InboundSource> {
  if (!uuidPattern.test(id)) throw inboundSourceNotFound(id);
  const { rows: [row] } = await db.query<SourceRow>('select * from inbound_sources where tenant_id = $1 and id = $2', [tenantId, id]);
  if (!row) throw inboundSourceNotFound(id);
  return toSource(row);
}

export async function listInboundSources(db: Queryable, tenantId: string): Promise<InboundSource[]> {
  const { rows } = await db.query<SourceRow>('select * from inbound_sources where tenant_id = $1 order by created_at, id limit 1000', [tenantId]);
  return rows.map(toSource);
}

/** Deletes a source and its deliveries; its URL answers 401 from then on. */
export async function deleteInboundSource(db: Queryable, tenantId: string, id: string): Promise<void> {
  if (!uuidPattern.test(id)) throw inboundSourceNotFound(id);
  const { rowCount } = await db.query('delete from inbound_sources where tenant_id = $1 and id = $2', [tenantId, id]);
  if (rowCount === 0) throw inboundSourceNotFound(id);
}

/** The source a post names, with its secret opened; null for an id that is no source. */
export async function sourceForIngress(db: Queryable, secrets: Secrets, id: string): Promise<{ source: InboundSource; secret: string } | null> {
  if (!uuidPattern.test(id)) return null;
  const { rows: [row] } = await db.query<SourceRow & { secret: Buffer }>('select * from inbound_sources where id = $1', [id]);
  if (!row) return null;
  return { source: toSource(row), secret: secrets.open(row.secret, secretContext(row.tenant_id, row.id)).toString('utf8') };
}

/**
 * Stores an authentic delivery and queues its job, unless one with the same source event
 * id is stored already (a retry or a replay): false then, and nothing changes. Call inside
 * a transaction. The jobs of one source run one at a time (their queue), so a cancel and
 * the create it follows are mapped in the order they arrived.
 */
export async function storeDelivery(db: Queryable, source: InboundSource, event: { eventId: string; kind: string }, body: unknown): Promise<boolean> {
  const { rows: [row] } = await db.query<{ id: string }>(
    `insert into inbound_deliveries (tenant_id, source_id, source_event_id, kind, body) values ($1, $2, $3, $4, $5::jsonb)
     on conflict (source_id, source_event_id) do nothing returning id`,
    [source.tenantId, source.id, event.eventId, event.kind, JSON.stringify(body)]);
  if (!row) return false;
  await db.query(
    `select graphile_worker.add_job($1, json_build_object('tenantId', $2::uuid, 'deliveryId', $3::uuid), queue_name := 'inbound:' || $4::text)`,
    [processInboundTask, source.tenantId, row.id, source.id]);
  return true;
}

interface DeliveryRow {
  id: string; source_id: string; source_event_id: string; kind: string; state: DeliveryState; error_code: string | null; error: string | null;
  booking_id: string | null; received_at: Date; processed_at: Date | null;
}

const toDelivery = (r: DeliveryRow): InboundDelivery => ({
  id: r.id, sourceId: r.source_id, sourceEventId: r.source_event_id, kind: r.kind, state: r.state, errorCode: r.error_code, error: r.error,
  bookingId: r.booking_id, receivedAt: r.received_at, processedAt: r.processed_at,
});

export async function getDelivery(db: Queryable, tenantId: string, id: string): Promise<{ delivery: InboundDelivery; body: unknown } | null> {
  const { rows: [row] } = await db.query<DeliveryRow & { body: unknown }>('select * from inbound_deliveries where tenant_id = $1 and id = $2', [tenantId, id]);
  return row ? { delivery: toDelivery(row), body: row.body } : null;
}

/** Whether the source stored a delivery with this event id (e.g. a cancel that came before its create). */
export async function deliveryExists(db: Queryable, tenantId: string, sourceId: string, sourceEventId: string): Promise<boolean> {
  const { rowCount } = await db.query('select 1 from inbound_deliveries where tenant_id = $1 and source_id = $2 and source_event_id = $3', [tenantId, sourceId, sourceEventId]);
  return (rowCount ?? 0) > 0;
}

export async function finishDelivery(db: Queryable, tenantId: string, id: string, outcome: { state: Exclude<DeliveryState, 'queued'>; bookingId?: string | null; errorCode?: string; error?: string }, now: Date): Promise<void> {
  await db.query(
    `update inbound_deliveries set state = $3, booking_id = $4, error_code = $5, error = $6, processed_at = $7 where tenant_id = $1 and id = $2`,
    [tenantId, id, outcome.state, outcome.bookingId ?? null, outcome.errorCode ?? null, outcome.error ?? null, now]);
}

/** The source's deliveries, newest first. */
export async function listDeliveries(db: Queryable, tenantId: string, sourceId: string, options: { state?: DeliveryState; limit: number }): Promise<InboundDelivery[]> {
  const { rows } = await db.query<DeliveryRow>(
    `select id, source_id, source_event_id, kind, state, error_code, error, booking_id, received_at, processed_at from inbound_deliveries
      where tenant_id = $1 and source_id = $2 and ($3::text is null or state = $3) order by received_at desc, id limit $4`,
    [tenantId, sourceId, options.state ?? null, options.limit]);
  return rows.map(toDelivery);
}
