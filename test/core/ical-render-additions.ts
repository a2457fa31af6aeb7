// What render writes that an item parsed from elsewhere may not have had: a DTSTAMP
// (RFC 5545 requires one; render uses its `dtstamp` option) and a VTIMEZONE for each zone
// the times use. Parsed back, they appear in extras.ical.stamps and extras.ical.vtimezones.
// Round-trip tests drop exactly those additions and compare everything else as it was.
import type { IcalExtras } from '../../src/core/ical/extras.ts';
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';

const isDtstamp = (line: string): boolean => /^DTSTAMP[;:]/i.test(line);

function withoutAdditions(again: CanonicalEvent, original: CanonicalEvent | null | undefined): CanonicalEvent {
  const x = again.extras.ical as IcalExtras | undefined;
  if (x === undefined) return again;
  const before = (original?.extras.ical ?? {}) as IcalExtras;
  const ical: IcalExtras = { ...x };
  if (ical.stamps !== undefined && !(before.stamps ?? []).some(isDtstamp)) {
    ical.stamps = ical.stamps.filter((l) => !isDtstamp(l));
    if (ical.stamps.length === 0) delete ical.stamps;
  }
  if (ical.vtimezones !== undefined) {
    const kept = Object.entries(ical.vtimezones).filter(([tzid]) => before.vtimezones?.[tzid] !== undefined);
    if (kept.length > 0) ical.vtimezones = Object.fromEntries(kept);
    else delete ical.vtimezones;
  }
  const extras: Record<string, unknown> = { ...again.extras, ical };
  if (Object.keys(ical).length === 0) delete extras.ical;
  return { ...again, extras };
}

/** `again` (parsed from rendered `original`) without what render added to `original`. */
export function withoutRenderAdditions(again: EventSeries, original: EventSeries): EventSeries {
  return {
    ...again,
    master: again.master && withoutAdditions(again.master, original.master),
    overrides: again.overrides.map((o, i) => withoutAdditions(o, original.overrides[i])),
  };
}
