// Random edits another client makes directly on two CalDAV servers bound to one calendar,
// and the state they must converge to. Every field of an event has one owning server for
// the whole run (summary on one, description on the other, location on either), so a
// field is only ever changed on one side and the default policy must keep every edit,
// whatever the timing. Only events never edited are deleted, and a deleted event is
// never touched again: no edit-against-delete is left to timing either.
import type { Rng } from '../../src/connectors/memory/index.ts';
import { rawRequest, type CalDavServer } from './caldav-servers.ts';
import { editMaster, listResources, uidOf, viewOf, type MasterChange, type Resource } from './dav-client.ts';
import { variedDescription, variedEvent } from './varied-events.ts';

export type Side = 'radicale' | 'xandikos';
export type Field = 'summary' | 'description' | 'location';

export interface Remote {
  side: Side;
  server: CalDavServer;
  collection: string;
}

export interface ExpectedEvent {
  uid: string;
  label: string;
  summary: string;
  description: string;
  location: string;
  /** ical.js's view of the times, rules and overrides first written. */
  shape: string;
  owners: Record<Field, Side>;
  alive: boolean;
  /** Edited at least once: never deleted then. */
  edited: boolean;
  /**
   * Deleted on a server whose listings forget items made and deleted between two of them
   * (Xandikos) while calsync's create of it there had no answer: no listing can tell that
   * deletion from a create that never landed, and calsync sends the create again rather
   * than risk losing the event (docs/ARCHITECTURE.md). Either outcome is accepted, as long
   * as every side agrees.
   */
  unknowable?: boolean;
}

export interface RoundLog {
  edits: number;
  bothSides: number;
  deletes: number;
  adds: number;
}

const sides: Side[] = ['radicale', 'xandikos'];
/** Xandikos's sync-collection is the difference of two trees; Radicale keeps a history of deletions. */
const forgetsDeletions: Record<Side, boolean> = { radicale: false, xandikos: true };
const other = (side: Side): Side => (side === 'radicale' ? 'xandikos' : 'radicale');
const between = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

function ok(status: number, what: string): void {
  if (![200, 201, 204].includes(status)) throw new Error(`${what}: HTTP ${status}`);
}

/** One UID's resources on one server; more than one is a duplicate, which the final check reports. */
export function byUid(resources: Resource[]): Map<string, Resource[]> {
  const map = new Map<string, Resource[]>();
  for (const resource of resources) {
    const uid = uidOf(resource.data);
    map.set(uid, [...(map.get(uid) ?? []), resource]);
  }
  return map;
}

export class ExpectedCalendar {
  readonly events = new Map<string, ExpectedEvent>();
  private created = 0;

  constructor(private readonly rng: Rng, private readonly runSeed: number, private readonly remotes: Record<Side, Remote>) {}

  /** A new varied event for `side`, expected from now on; `write` puts it there. */
  private plan(side: Side): { side: Side; href: string; ics: string; uid: string } {
    const n = this.created++;
    const uid = `kill-${this.runSeed}-${n}@other.example`;
    const label = `#${n}`;
    const event = variedEvent(this.rng, uid, label);
    const summaryOwner = pick(this.rng, sides);
    this.events.set(uid, {
      uid, label, summary: event.summary, description: event.description, location: event.location, shape: viewOf(event.ics).shape,
      owners: { summary: summaryOwner, description: other(summaryOwner), location: pick(this.rng, sides) }, alive: true, edited: false,
    });
    return { side, href: `${this.remotes[side].collection}other-${n}.ics`, ics: event.ics, uid };
  }

  /** Written as another client writes a new event: If-None-Match: *. */
  private async write(planned: { side: Side; href: string; ics: string; uid: string }): Promise<void> {
    const put = await rawRequest(this.remotes[planned.side].server, 'PUT', planned.href, planned.ics, { 'if-none-match': '*' });
    ok(put.status, `PUT new event ${planned.uid} on ${planned.side}`);
  }

  /** `count` events on servers picked at random, each server written one event at a time, both at once. */
  async seed(count: number): Promise<void> {
    const planned = Array.from({ length: count }, () => this.plan(pick(this.rng, sides)));
    await Promise.all(sides.map(async (side) => {
      for (const p of planned.filter((x) => x.side === side)) await this.write(p);
    }));
  }

  /** Settles the unknowable deletions by what the calendar holds: present, they came back everywhere. */
  settle(inCalendar: Set<string>): number {
    let revived = 0;
    for (const event of this.events.values()) {
      if (event.unknowable && inCalendar.has(event.uid)) {
        event.alive = true;
        revived++;
      }
    }
    return revived;
  }

  alive(): ExpectedEvent[] {
    return [...this.events.values()].filter((e) => e.alive);
  }

  private newValue(event: ExpectedEvent, field: Field, round: number, side: Side): string {
    const mark = `r${round}${side[0]}`;
    if (field === 'summary') return `${event.label} edited ${mark}`;
    if (field === 'location') return `Room ${between(this.rng, 1, 99)} ${mark}`;
    return variedDescription(this.rng, `${event.label} ${mark}`) || `${event.label} ${mark} notes`;
  }

  /**
   * One round of another client's work on both servers while no worker runs: edits of
   * fields each server owns (sometimes the same event on both, different fields),
   * deletions of events never edited, new events.
   */
  async round(round: number, unanswered: Record<Side, Set<string>> = { radicale: new Set(), xandikos: new Set() }): Promise<RoundLog> {
    const listed = Object.fromEntries(await Promise.all(sides.map(async (side) =>
      [side, byUid(await listResources(this.remotes[side].server, this.remotes[side].collection))] as const))) as Record<Side, Map<string, Resource[]>>;
    const on = (side: Side) => this.alive().filter((e) => listed[side].has(e.uid));
    const changes: Record<Side, Map<string, MasterChange>> = { radicale: new Map(), xandikos: new Map() };
    const change = (side: Side, event: ExpectedEvent, field: Field) => {
      const value = this.newValue(event, field, round, side);
      changes[side].set(event.uid, { ...changes[side].get(event.uid), [field]: value });
      event[field] = value;
      event.edited = true;
    };
    const log: RoundLog = { edits: 0, bothSides: 0, deletes: 0, adds: 0 };
    for (const side of sides) {
      const candidates = on(side);
      for (let i = between(this.rng, 1, 3); i > 0 && candidates.length > 0; i--) {
        const event = pick(this.rng, candidates);
        change(side, event, pick(this.rng, (['summary', 'description', 'location'] as const).filter((f) => event.owners[f] === side)));
        log.edits++;
      }
    }
    const onBoth = on('radicale').filter((e) => listed.xandikos.has(e.uid));
    if (onBoth.length > 0 && this.rng() < 0.5) {
      const event = pick(this.rng, onBoth);
      change(event.owners.summary, event, 'summary');
      change(event.owners.description, event, 'description');
      log.bothSides++;
    }
    // Chosen in order (the seed replays the choices), then written to both servers at once.
    const work = sides.map((side) => {
      const deletable = on(side).filter((e) => !e.edited);
      const deletes = Array.from({ length: Math.min(between(this.rng, 0, 1), deletable.length) }, () => deletable.splice(Math.floor(this.rng() * deletable.length), 1)[0]!);
      for (const event of deletes) {
        event.alive = false;
        if (forgetsDeletions[side] && unanswered[side].has(event.uid)) event.unknowable = true;
      }
      const adds = Array.from({ length: between(this.rng, 0, 1) }, () => this.plan(side));
      log.deletes += deletes.length;
      log.adds += adds.length;
      return { side, deletes, adds };
    });
    await Promise.all(work.map(async ({ side, deletes, adds }) => {
      const { server } = this.remotes[side];
      for (const [uid, fields] of changes[side]) await editMaster(server, listed[side].get(uid)![0]!.href, fields);
      for (const event of deletes) {
        for (const resource of listed[side].get(event.uid)!) ok((await rawRequest(server, 'DELETE', resource.href)).status, `DELETE ${resource.href} on ${side}`);
      }
      for (const planned of adds) await this.write(planned);
    }));
    return log;
  }
}
