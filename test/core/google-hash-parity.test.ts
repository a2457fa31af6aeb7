// One event, two providers: rendered to iCalendar (CalDAV) and to Google, and read back
// from each, it has the same content hash. That is what keeps two-way sync between a
// Google calendar and a CalDAV one free of changes nobody made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { contentHash } from '../../src/core/hash.ts';
import { parseCalendar, renderCalendar } from '../../src/core/ical/index.ts';
import { seriesFromGoogle, seriesToGoogle } from '../../src/core/google/index.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { fixture, goodFixtures } from '../fixtures/ical/fixtures.ts';
import { FIXTURE_ZONE, googleAnswers, googleFixture } from '../fixtures/google/fixtures.ts';
import { calendarZone, eventArb, seriesArb } from '../helpers/google-arbitraries.ts';

function viaIcal(series: EventSeries): EventSeries {
  const parsed = parseCalendar(renderCalendar(series, { dtstamp: '2026-03-01T00:00:00Z' }));
  assert.equal(parsed.series.length, 1);
  const { calsyncId: _, ...again } = parsed.series[0]!;
  return again;
}

function viaGoogle(series: EventSeries, calendarTimeZone: string): EventSeries {
  const resources = JSON.parse(JSON.stringify(seriesToGoogle(series, { id: 'abcde12345', calendarTimeZone })));
  // A cancelled instance as Google lists it carries no iCalUID: the caller knows the series.
  const { calsyncId: _, ...again } = seriesFromGoogle(resources, { calendarTimeZone, uid: series.uid });
  return again;
}

function sameHashes(series: EventSeries, calendarTimeZone: string): void {
  const hash = contentHash(series);
  assert.equal(contentHash(viaIcal(series)), hash, 'iCalendar');
  assert.equal(contentHash(viaGoogle(series, calendarTimeZone)), hash, 'Google');
}

for (const name of googleAnswers) {
  test(`${name}: read from Google, written to iCalendar and to Google, hashes alike`, () => {
    const data = googleFixture(name);
    const { calsyncId: _, ...series } = seriesFromGoogle(Array.isArray(data) ? data : [data], { calendarTimeZone: FIXTURE_ZONE });
    sameHashes(series, FIXTURE_ZONE);
  });
}

for (const name of goodFixtures) {
  test(`${name}: read from iCalendar, written to Google and back, hashes alike`, () => {
    for (const { calsyncId: _, ...series } of parseCalendar(fixture(name)).series) {
      for (const zone of [FIXTURE_ZONE, 'America/Los_Angeles']) sameHashes(series, zone);
    }
  });
}

test('any valid event or series hashes alike through iCalendar and Google (property test)', () => {
  const single = eventArb.map((master): EventSeries => ({ uid: master.uid, master, overrides: [] }));
  fc.assert(fc.property(fc.oneof(single, seriesArb), calendarZone, (series, zone) => sameHashes(series, zone)), { numRuns: 300 });
});
