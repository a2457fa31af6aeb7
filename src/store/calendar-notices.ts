// Wakes whoever waits on a calendar (the server-sent event streams) when it changes:
// every committed change NOTIFYs `calsync_calendar` with {tenantId, calendarId}
// (src/store/outbox.ts), and one LISTEN connection per process fans the notices out in
// memory. It connects on the first subscriber, so a process that never streams holds
// no extra connection. NOTIFY is only a wake-up: listeners read the calendar's version
// themselves, so a notice lost while the connection was down costs nothing once every
// listener is woken after the reconnect.
import type { Db, DbClient } from './db.ts';
import { calendarNoticeChannel } from './outbox.ts';

export type NoticeListener = () => void;

export class CalendarNotices {
  private client: DbClient | null = null;
  private connecting: Promise<void> | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly listeners = new Map<string, Set<NoticeListener>>();

  constructor(
    private readonly db: Db,
    private readonly options: { reconnectMs?: number; onError?: (error: unknown) => void } = {},
  ) {}

  /** Calls `listener` after every change of the calendar; resolves once listening. Returns the unsubscribe. */
  async subscribe(tenantId: string, calendarId: string, listener: NoticeListener): Promise<() => void> {
    const key = `${tenantId}:${calendarId}`;
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    const unsubscribe = (): void => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
    try {
      await this.connect();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  /** Listeners subscribed now, over every calendar. */
  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.listeners.clear();
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    // Destroyed, not returned to the pool: it carries this object's event handlers.
    client?.release(true);
  }

  private connect(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('calendar notices are closed'));
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => { this.connecting = null; });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = await this.db.connect();
    try {
      await client.query(`listen ${calendarNoticeChannel}`);
    } catch (error) {
      client.release(true);
      throw error;
    }
    client.on('notification', (message) => {
      if (message.channel !== calendarNoticeChannel || !message.payload) return;
      const { tenantId, calendarId } = JSON.parse(message.payload) as { tenantId: string; calendarId: string };
      for (const listener of this.listeners.get(`${tenantId}:${calendarId}`) ?? []) listener();
    });
    const lost = (error?: unknown): void => {
      if (this.client !== client) return;
      this.client = null;
      client.release(true);
      if (error) this.options.onError?.(error);
      this.reconnectLater();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.client = client;
  }

  /** Reconnects while anyone listens, then wakes everyone: notices may have been missed. */
  private reconnectLater(): void {
    if (this.closed || this.listeners.size === 0 || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect().then(() => {
        for (const set of this.listeners.values()) for (const listener of set) listener();
      }, (error: unknown) => {
        this.options.onError?.(error);
        this.reconnectLater();
      });
    }, this.options.reconnectMs ?? 1000);
    this.retry.unref();
  }
}
