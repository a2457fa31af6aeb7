// Canonical → Google → canonical gives the same event, for any valid event calsync can
// hold (property tests, as in ical-roundtrip.test.ts): what Google has no member for
// travels in calsync's private extended properties.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { eventFromGoogle, eventToGoogle, seriesFromGoogle, seriesToGoogle } from '../../src/core/google/index.ts';
import { calendarZone, eventArb, seriesArb } from '../helpers/google-arbitraries.ts';

test('any valid event round-trips through Google (property test)', () => {
  fc.assert(
    fc.property(eventArb, calendarZone, (event, calendarTimeZone) => {
      const resource = JSON.parse(JSON.stringify(eventToGoogle(event, { id: 'abcde12345', calendarTimeZone, calsyncId: 'E1' })));
      assert.deepEqual(eventFromGoogle(resource, { calendarTimeZone }), event);
    }),
    { numRuns: 500 },
  );
});

test('any valid series with overrides round-trips through Google resources (property test)', () => {
  fc.assert(
    fc.property(seriesArb, calendarZone, fc.boolean(), (series, calendarTimeZone, shuffle) => {
      const resources = JSON.parse(JSON.stringify(seriesToGoogle(series, { id: 'abcde12345', calendarTimeZone, calsyncId: 'E1' })));
      const input = shuffle ? [...resources].reverse() : resources;
      const { calsyncId, ...again } = seriesFromGoogle(input, { calendarTimeZone });
      assert.equal(calsyncId, 'E1');
      assert.deepEqual(again, series);
    }),
    { numRuns: 200 },
  );
});
