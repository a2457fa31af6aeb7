import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CoreError } from '../../src/core/errors.ts';
import { parseCalendar } from '../../src/core/ical/parse.ts';
import { renderCalendar } from '../../src/core/ical/render.ts';
import { validateEvent, validateSeries } from '../../src/core/validate.ts';
import { fixture, goodFixtures } from '../fixtures/ical/fixtures.ts';
import { withoutRenderAdditions } from './ical-render-additions.ts';

const texts = goodFixtures.map((name) => new TextDecoder().decode(fixture(name)).replace(/\r\n /g, ''));

/** Damage a fixture line by line: drop, repeat, swap in a line from elsewhere, or garble a value. */
const damaged = fc
  .record({
    text: fc.constantFrom(...texts),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        kind: fc.constantFrom('drop', 'repeat', 'garble', 'cut', 'swap'),
        junk: fc.string({ maxLength: 12 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ text, edits }) => {
    const lines = text.split('\r\n');
    for (const { at, kind, junk } of edits) {
      const i = at % lines.length;
      const line = lines[i]!;
      if (kind === 'drop') lines.splice(i, 1);
      else if (kind === 'repeat') lines.splice(i, 0, line);
      else if (kind === 'cut') lines.splice(i);
      else if (kind === 'swap') lines[i] = lines[(at * 7 + 3) % lines.length]!;
      else lines[i] = line.slice(0, Math.max(line.indexOf(':') + 1, 0)) + junk;
      if (lines.length === 0) lines.push(junk);
    }
    return lines.join('\r\n');
  });

function onlyTypedErrors(fn: () => unknown, codes: string[]): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof CoreError) || !codes.includes(e.code)) throw e;
  }
}

test('damaged iCalendar either parses and round-trips, or fails with INVALID_ICALENDAR', () => {
  fc.assert(
    fc.property(damaged, (text) => {
      let parsed;
      try {
        parsed = parseCalendar(text);
      } catch (e) {
        assert.ok(e instanceof CoreError && e.code === 'INVALID_ICALENDAR', String(e));
        assert.match(e.path ?? '', /^line \d+$/);
        return;
      }
      for (const { calsyncId: _, ...series } of parsed.series) {
        const again = parseCalendar(renderCalendar(series, { dtstamp: '2025-01-01T00:00:00Z' })).series[0]!;
        const { calsyncId: __, ...same } = again;
        assert.deepEqual(withoutRenderAdditions(same, series), series);
      }
    }),
    { numRuns: 400 },
  );
});

test('random text never crashes the parser', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 200 })), (input) => {
      onlyTypedErrors(() => parseCalendar(input), ['INVALID_ICALENDAR']);
    }),
    { numRuns: 500 },
  );
});

test('validation of arbitrary values throws INVALID_EVENT or nothing', () => {
  fc.assert(
    fc.property(fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withDate: true }), (x) => {
      onlyTypedErrors(() => validateEvent(x), ['INVALID_EVENT']);
      onlyTypedErrors(() => validateSeries(x), ['INVALID_EVENT']);
    }),
    { numRuns: 1000 },
  );
});
