// The corpus of real clients' exports (test/fixtures/clients/, README.md there): every
// fixture parses, every instance lands at the instant its producer meant (expected.json,
// computed with python's zoneinfo and dateutil, not with calsync), and render → parse
// keeps those instants.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { expandSeries, parseCalendar, renderCalendar } from '../../src/core/ical/index.ts';
import type { EventSeries } from '../../src/core/model.ts';

const dir = path.join(import.meta.dirname, '../fixtures/clients');

interface Expected {
  producer: string;
  defaultZone: string;
  window: { from: string; to: string };
  instances: [string, string][];
}

const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
  refused: Record<string, string>;
  fixtures: Record<string, Expected>;
};

function only(text: string | Uint8Array): EventSeries {
  const { series } = parseCalendar(text);
  assert.equal(series.length, 1, 'one UID per fixture');
  const { calsyncId: _, ...rest } = series[0]!;
  return rest;
}

function instants(series: EventSeries, expected: Expected): [string, string][] {
  const { instances, truncated } = expandSeries(series, { ...expected.window, defaultZone: expected.defaultZone });
  assert.equal(truncated, false);
  return instances.map((i) => [i.start, i.end]);
}

test('every .ics in the corpus has an entry in expected.json, and every entry a file', () => {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ics')).sort();
  assert.deepEqual(files, [...Object.keys(manifest.fixtures), ...Object.keys(manifest.refused)].sort());
});

for (const [name, expected] of Object.entries(manifest.fixtures)) {
  test(`${name}: every instance at the instant ${expected.producer} meant`, () => {
    const series = only(fs.readFileSync(path.join(dir, name)));
    assert.deepEqual(instants(series, expected), expected.instances);
  });

  test(`${name}: render → parse keeps every instant, and renders the same again`, () => {
    const series = only(fs.readFileSync(path.join(dir, name)));
    const text = renderCalendar(series, { dtstamp: '2025-06-01T12:00:00Z' });
    const again = only(text);
    assert.deepEqual(instants(again, expected), expected.instances);
    assert.equal(renderCalendar(again, { dtstamp: '2025-06-01T12:00:00Z' }), text);
  });
}

for (const [name, code] of Object.entries(manifest.refused)) {
  test(`${name}: refused with ${code}, at once`, () => {
    const started = performance.now();
    assert.throws(
      () => parseCalendar(fs.readFileSync(path.join(dir, name))),
      (e: unknown) => e instanceof CoreError && e.code === code && /line 1/.test(e.message),
    );
    assert.ok(performance.now() - started < 1_000);
  });
}
