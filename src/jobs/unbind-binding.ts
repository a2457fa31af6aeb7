// Unbinds a binding an operator marked (src/store/unbinding.ts): stops its push channel,
// deletes its remote copies when asked, then removes it. Deletions go one by one with the
// etag calsync last saw (If-Match): a copy someone edited since is kept, not deleted
// over an edit calsync never took in. A copy's status goes as soon as the copy does, so
// a run interrupted by the provider (retried with graphile-worker's backoff) goes on
// where it stopped. `calsync unbind` runs the same work in its own process.
import { isConnectorError, type Connector } from '../connectors/connector.ts';
import { stopSubscription } from '../engine/push-channels.ts';
import type { EngineDeps } from '../engine/sync-pass.ts';
import { getBinding, type Binding, type BindingRef } from '../store/bindings.ts';
import { withTransaction } from '../store/db.ts';
import { dropStatuses, livePushChannel, remoteCopies, removeBinding, unbindTask, type RemoteCopies, type UnbindPayload } from '../store/unbinding.ts';
import { isCalsyncError } from '../errors.ts';
import { defineTask, invalidPayload, uuid } from './registry.ts';

export interface UnbindOutcome {
  /** False when the binding was already gone (or not being unbound). */
  removed: boolean;
  remoteCopies: RemoteCopies | null;
  /** Remote copies deleted by this run. */
  deleted: number;
  /** Copies left in place, with why. */
  kept: Array<{ remoteId: string; reason: string }>;
  /** null: the binding had no push channel. */
  channelStopped: boolean | null;
}

const batch = 100;

async function markedBinding(deps: Pick<EngineDeps, 'db'>, ref: BindingRef): Promise<{ binding: Binding; remoteCopies: RemoteCopies } | null> {
  try {
    const binding = await getBinding(deps.db, ref.tenantId, ref.bindingId);
    const { rows: [row] } = await deps.db.query<{ unbind_remote_copies: RemoteCopies | null }>(
      'select unbind_remote_copies from bindings where tenant_id = $1 and id = $2', [ref.tenantId, ref.bindingId]);
    return row?.unbind_remote_copies ? { binding, remoteCopies: row.unbind_remote_copies } : null;
  } catch (error) {
    if (isCalsyncError(error, 'NOT_FOUND')) return null;
    throw error;
  }
}

export async function carryOutUnbind(deps: Pick<EngineDeps, 'db' | 'connectorFor' | 'logger'>, payload: UnbindPayload): Promise<UnbindOutcome> {
  const ref: BindingRef = { tenantId: payload.tenantId, bindingId: payload.bindingId };
  const marked = await markedBinding(deps, ref);
  if (!marked) return { removed: false, remoteCopies: null, deleted: 0, kept: [], channelStopped: null };
  const { binding } = marked;
  let connector: Connector | null = null;
  const connect = async (): Promise<Connector> => (connector ??= await deps.connectorFor(binding));
  const log = deps.logger.child({ tenantId: binding.tenantId, bindingId: binding.id });

  const channel = await livePushChannel(deps.db, ref);
  let channelStopped: boolean | null = null;
  if (channel) {
    try {
      await stopSubscription(deps, binding, channel, await connect());
      channelStopped = true;
    } catch (error) {
      // Left to expire by itself (at most a week); its notifications then find no binding.
      log.warn({ err: error, channelId: channel.id }, 'push channel of an unbound binding not stopped');
      channelStopped = false;
    }
  }

  let deleted = 0;
  const kept: UnbindOutcome['kept'] = [];
  if (marked.remoteCopies === 'delete') {
    const c = await connect();
    // A deleted copy's status goes at once, so a retry after a failure goes on where it
    // stopped; a kept copy's stays (it goes with the binding), so a retry records it again.
    for (let after: string | null = null; ;) {
      const copies = await remoteCopies(deps.db, ref, batch, after);
      if (copies.length === 0) break;
      after = copies.at(-1)!.remoteId;
      for (const copy of copies) {
        try {
          await c.delete(binding.remoteCalendarId, copy.remoteId, { ifMatch: copy.etag });
          deleted++;
          await dropStatuses(deps.db, ref, [copy.remoteId]);
        } catch (error) {
          if (!isConnectorError(error) || !['precondition-failed', 'permanent', 'not-found'].includes(error.kind)) throw error;
          const reason = error.kind === 'precondition-failed' ? 'changed on the remote since calsync last synced it' : error.message;
          kept.push({ remoteId: copy.remoteId, reason });
          log.info({ remoteId: copy.remoteId, reason }, 'remote copy kept');
        }
      }
    }
  }
  const outcome = { remoteCopies: marked.remoteCopies, deleted, kept, channelStopped };
  const removed = await withTransaction(deps.db, (tx) => removeBinding(tx, ref, payload.actor, outcome));
  return { removed, ...outcome };
}

export const unbindBindingJob = defineTask<UnbindPayload>({
  name: unbindTask,
  parse(payload) {
    const p = payload as Partial<UnbindPayload> | null;
    if (typeof p?.tenantId !== 'string' || !uuid.test(p.tenantId) || typeof p.bindingId !== 'string' || !uuid.test(p.bindingId) || typeof p.actor !== 'string') {
      throw invalidPayload(unbindTask, 'needs tenantId and bindingId (uuids) and actor');
    }
    return { tenantId: p.tenantId, bindingId: p.bindingId, actor: p.actor };
  },
  async run(payload, deps) {
    const outcome = await carryOutUnbind(deps.engine, payload);
    deps.engine.logger.info({ tenantId: payload.tenantId, bindingId: payload.bindingId, ...outcome, kept: outcome.kept.length }, 'binding unbound');
  },
});
