// The sync-status changes of one transaction, folded per event in the order they were
// made and written with a few set-based statements at the end: the last store or
// delete of an event counts, a seen etag or a quarantine after a store amends it, and
// either after a delete changes nothing (as the row-by-row statements would have).
import { newest } from '../core/instants.ts';
import type { NextStatus } from '../core/plan.ts';
import type { BindingRef } from '../store/bindings.ts';
import type { Queryable } from '../store/db.ts';
import { confirmPendingStatuses, deleteStatuses, quarantineStatus, recordSent, setStatusEtags, upsertStatuses, type StatusWrite } from '../store/sync-status.ts';

interface Change {
  store?: StatusWrite;
  /** `store` is the base a pending create already holds: only its remote id and etag change. */
  confirm?: boolean;
  deleted?: boolean;
  seen?: { etag: string | null; remoteUpdatedAt: string | null };
  quarantine?: unknown;
  /** A write was refused: what it sent is no longer outstanding. */
  unsent?: boolean;
}

export class StatusChanges {
  private readonly changes = new Map<string, Change>();

  private readonly binding: BindingRef;

  constructor(binding: BindingRef) {
    this.binding = { tenantId: binding.tenantId, bindingId: binding.bindingId };
  }

  /** The status an action leaves: its next base at `remoteId`, or none ('drop'). */
  store(eventId: string, remoteId: string, etag: string | null, next: NextStatus): void {
    if (next === 'drop') this.delete(eventId);
    else if (next) this.changes.set(eventId, { store: { eventId, remoteId, etag, base: next.base, contentHash: next.contentHash, remoteUpdatedAt: next.remoteUpdatedAt, asked: next.asked ?? null } });
  }

  /**
   * A new base for a remote version not yet agreed on: the etag stays the one stored (or
   * the one stored earlier in this transaction), so that version is planned again.
   */
  rebase(eventId: string, remoteId: string, next: Exclude<NextStatus, 'drop' | null>): void {
    const earlier = this.changes.get(eventId)?.store;
    const store = { eventId, remoteId, etag: earlier?.etag ?? null, base: next.base, contentHash: next.contentHash, remoteUpdatedAt: newest(earlier?.remoteUpdatedAt ?? null, next.remoteUpdatedAt), asked: next.asked ?? null };
    this.changes.set(eventId, { store: earlier ? store : { ...store, keepEtag: true } });
  }

  /** The answer to a create recorded as pending with this same base. */
  confirmCreate(eventId: string, remoteId: string, etag: string | null, next: Exclude<NextStatus, 'drop' | null>): void {
    this.changes.set(eventId, { store: { eventId, remoteId, etag, base: next.base, contentHash: next.contentHash, remoteUpdatedAt: next.remoteUpdatedAt, asked: next.asked ?? null }, confirm: true });
  }

  delete(eventId: string): void {
    this.changes.set(eventId, { deleted: true });
  }

  /**
   * A remote version seen without a new base: its etag (null keeps the one stored), and
   * its last-modified instant where known, which never moves back (so a replay older
   * than it is recognised).
   */
  seen(eventId: string, etag: string | null, remoteUpdatedAt: string | null = null): void {
    const change = this.changes.get(eventId) ?? {};
    if (change.deleted) return;
    if (change.store) change.store = { ...change.store, etag: etag ?? change.store.etag, remoteUpdatedAt: newest(change.store.remoteUpdatedAt, remoteUpdatedAt) };
    else change.seen = { etag: etag ?? change.seen?.etag ?? null, remoteUpdatedAt: newest(change.seen?.remoteUpdatedAt ?? null, remoteUpdatedAt) };
    this.changes.set(eventId, change);
  }

  unsent(eventId: string): void {
    const change = this.changes.get(eventId) ?? {};
    if (change.deleted || change.store) return;
    this.changes.set(eventId, { ...change, unsent: true });
  }

  quarantine(eventId: string, error: unknown): void {
    const change = this.changes.get(eventId) ?? {};
    if (change.deleted) return;
    this.changes.set(eventId, { ...change, quarantine: error });
  }

  async flush(db: Queryable): Promise<void> {
    const all = [...this.changes];
    this.changes.clear();
    await deleteStatuses(db, this.binding, all.filter(([, c]) => c.deleted).map(([id]) => id));
    const unconfirmed = await confirmPendingStatuses(db, this.binding, all.flatMap(([, c]) => (c.store && c.confirm ? [c.store] : [])));
    await upsertStatuses(db, this.binding, all.flatMap(([eventId, c]) => (c.store && (!c.confirm || unconfirmed.has(eventId)) ? [c.store] : [])));
    await setStatusEtags(db, this.binding, all.flatMap(([eventId, c]) => (c.seen !== undefined ? [{ eventId, ...c.seen }] : [])));
    await recordSent(db, this.binding, all.flatMap(([eventId, c]) => (c.unsent && !c.store ? [{ eventId, sent: null }] : [])));
    // Rare (a person must look at each): one statement per item.
    for (const [eventId, c] of all) if (c.quarantine !== undefined) await quarantineStatus(db, this.binding, eventId, c.quarantine);
  }
}
