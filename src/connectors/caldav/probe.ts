// A collection's DAV:getlastmodified as a one-request "nothing changed" check before a
// sync-collection REPORT, for servers where the REPORT reads every member. Radicale
// 3.1.8 computes a sync-token from every item and its history (0.15-0.25 s of server
// CPU at 5,000 items, growing with the collection) but its collection's getlastmodified
// from file times (about 0.05 s), and the latter moves with every create, edit and delete
// (the folder's own time is among them). Xandikos and sabre/dav send no getlastmodified
// for collections, so they are never probed.
//
// getlastmodified has one-second resolution, so "unchanged" is only believed when:
// - the value last seen was at least 2 s older than that answer's Date: a change after
//   that answer then has a later second (the 2 s allow 1 s between the server reading its
//   files and dating the answer);
// - the server has shown that its value tracks member changes: a REPORT with changes
//   after a safe reading must find a later value, else probing stops for the cursor;
// - a REPORT ran within the last hour anyway, bounding what an unforeseen server could hide.

export interface Probe {
  /** getlastmodified as the server sent it. */
  lastModified: string;
  /** Server time (Date header, epoch ms) of the answer that carried it. */
  seenAt: number;
  /** Server time of the last reading followed by a sync-collection REPORT. */
  checkedAt: number;
  /** The value was seen to move with a change. */
  trusted: boolean;
}

export interface Observation {
  lastModified: string;
  at: number;
}

const settleMs = 2000;
const maxUncheckedMs = 3_600_000;

function instant(httpDate: string): number | null {
  const ms = Date.parse(httpDate);
  return Number.isNaN(ms) ? null : ms;
}

/** A reading from one answer: its getlastmodified and Date, or null when either is missing or unreadable. */
export function observe(lastModified: string | null, date: string | null): Observation | null {
  if (lastModified === null || date === null) return null;
  const at = instant(date);
  if (at === null || instant(lastModified) === null) return null;
  return { lastModified: lastModified.trim(), at };
}

function settled(probe: Probe): boolean {
  return instant(probe.lastModified)! <= probe.seenAt - settleMs;
}

/** True when the collection cannot have changed since the REPORT that made the cursor. */
export function unchanged(probe: Probe, now: Observation): boolean {
  return probe.trusted && settled(probe) && now.lastModified === probe.lastModified
    && now.at >= probe.seenAt && now.at - probe.checkedAt < maxUncheckedMs;
}

/** The probe to keep after a REPORT that followed reading `now`; null stops probing. */
export function afterReport(previous: Probe | null, now: Observation, reportHadChanges: boolean): Probe | null {
  let trusted = previous?.trusted ?? false;
  if (previous && reportHadChanges) {
    if (instant(now.lastModified)! > instant(previous.lastModified)!) trusted = true;
    // Changes after a settled reading must have moved the value: this server's does not follow them.
    else if (settled(previous)) return null;
  }
  return { lastModified: now.lastModified, seenAt: now.at, checkedAt: now.at, trusted };
}

/** The probe a full listing starts with, from the reading taken with its sync-token. */
export function firstProbe(now: Observation | null): Probe | null {
  return now === null ? null : { lastModified: now.lastModified, seenAt: now.at, checkedAt: now.at, trusted: false };
}
