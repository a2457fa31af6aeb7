// The lease a pass holds on its binding (ARCHITECTURE.md: at most one pass per binding
// runs at a time). It is renewed on a heartbeat, not only between pages, so a long
// page or a slow provider does not let it lapse; and every write of the pass is fenced
// by it (CONVENTIONS.md 19): a transaction checks it still holds the lease and keeps it
// until commit, so once another pass took an expired lease over, nothing this one
// writes can land. A pass that lost its lease stops at its next step.
import { acquireLease, holdsLease, releaseLease, renewLease, type BindingRef } from '../store/bindings.ts';
import type { Db, Queryable } from '../store/db.ts';

/** The pass no longer holds its binding's lease: another pass runs the binding now. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
  constructor(readonly bindingId: string) {
    super(`lost the lease of binding ${bindingId}; another pass runs it now`);
  }
}

export class Lease {
  private lost = false;
  /**
   * Until when the lease is surely ours, on this process's monotonic clock: the send
   * time of the last renewal that succeeded, plus the lease's length. Past it another
   * pass may have taken the binding (a stalled event loop kept the heartbeat from
   * running), so the pass starts nothing more, without asking the database first.
   */
  private validUntil: number;
  private timer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;

  private constructor(
    private readonly db: Db, private readonly binding: BindingRef, readonly owner: string, private readonly seconds: number,
    private readonly clock: () => number, takenAt: number,
  ) {
    this.validUntil = takenAt + seconds * 1000;
  }

  /**
   * Takes the binding's lease, or null when another live pass holds it. `clock` is a
   * monotonic clock in milliseconds (performance.now; tests move it to stand for a stall).
   */
  static async acquire(db: Db, binding: BindingRef, owner: string, seconds: number, clock: () => number = () => performance.now()): Promise<Lease | null> {
    const takenAt = clock();
    if (!(await acquireLease(db, binding, owner, seconds))) return null;
    const lease = new Lease(db, binding, owner, seconds, clock, takenAt);
    // A quarter of the lease: three heartbeats may fail (a busy database) before it lapses.
    lease.timer = setInterval(() => lease.renew(), (seconds * 1000) / 4);
    lease.timer.unref();
    return lease;
  }

  /** Throws LeaseLost once the heartbeat found the lease taken. */
  check(): void {
    if (!this.held) throw new LeaseLost(this.binding.bindingId);
  }

  get held(): boolean {
    if (!this.lost && this.clock() >= this.validUntil) this.lost = true;
    return !this.lost;
  }

  /** In a transaction: throws LeaseLost unless the lease is still held, and keeps it held until commit. */
  async fence(tx: Queryable): Promise<void> {
    this.check();
    if (!(await holdsLease(tx, this.binding, this.owner))) {
      this.lost = true;
      throw new LeaseLost(this.binding.bindingId);
    }
  }

  /** Marks the lease lost after a fenced statement found it gone. */
  markLost(): never {
    this.lost = true;
    throw new LeaseLost(this.binding.bindingId);
  }

  /** Stops the heartbeat and gives the lease back (if still ours). */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.renewing;
    await releaseLease(this.db, this.binding, this.owner);
  }

  private renew(): void {
    if (!this.held || this.renewing) return;
    const sentAt = this.clock();
    this.renewing = renewLease(this.db, this.binding, this.owner, this.seconds)
      .then((held) => {
        if (held) this.validUntil = sentAt + this.seconds * 1000;
        else this.lost = true;
      })
      // A failed renewal (the database briefly away) is tried again at the next beat;
      // fenced writes refuse to commit once the lease has expired meanwhile.
      .catch(() => undefined)
      .finally(() => { this.renewing = null; });
  }
}
