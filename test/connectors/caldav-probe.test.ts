// The getlastmodified probe's rules (src/connectors/caldav/probe.ts), without a server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterReport, firstProbe, observe, unchanged, type Probe } from '../../src/connectors/caldav/probe.ts';

const at = (hms: string): number => Date.parse(`2026-11-30T${hms}Z`);
const http = (hms: string): string => new Date(at(hms)).toUTCString();
const reading = (lastModified: string, now: string) => observe(http(lastModified), http(now))!;

test('caldav probe: a reading needs both getlastmodified and a Date it can read', () => {
  assert.equal(observe(null, http('10:00:00')), null);
  assert.equal(observe(http('10:00:00'), null), null);
  assert.equal(observe('yesterday', http('10:00:00')), null);
  assert.deepEqual(observe(` ${http('09:00:00')} `, http('10:00:00')), { lastModified: http('09:00:00'), at: at('10:00:00') });
});

test('caldav probe: unchanged only when trusted, settled, equal and checked within the hour', () => {
  const trusted: Probe = { ...firstProbe(reading('10:00:00', '10:00:05'))!, trusted: true };
  assert.equal(unchanged(trusted, reading('10:00:00', '10:30:00')), true);
  assert.equal(unchanged({ ...trusted, trusted: false }, reading('10:00:00', '10:30:00')), false, 'not yet seen to follow a change');
  assert.equal(unchanged(trusted, reading('10:00:01', '10:30:00')), false, 'a later value');
  assert.equal(unchanged(trusted, reading('09:59:59', '10:30:00')), false, 'an earlier value (restored files, a clock set back)');
  assert.equal(unchanged(trusted, reading('10:00:00', '11:00:05')), false, 'a REPORT at least every hour');
  assert.equal(unchanged(trusted, reading('10:00:00', '10:00:04')), false, 'a Date before the reading the cursor holds');
  // Read in the second of the last change: a change later in that second keeps the value.
  const unsettled: Probe = { ...firstProbe(reading('10:00:00', '10:00:01'))!, trusted: true };
  assert.equal(unchanged(unsettled, reading('10:00:00', '10:30:00')), false);
});

test('caldav probe: trust comes from a change that moved the value, and goes with one that did not', () => {
  const first = firstProbe(reading('10:00:00', '10:00:05'))!;
  assert.equal(first.trusted, false);
  assert.equal(afterReport(first, reading('10:00:00', '10:10:00'), false)!.trusted, false, 'no change: nothing learnt');
  const moved = afterReport(first, reading('10:05:00', '10:10:00'), true)!;
  assert.equal(moved.trusted, true);
  assert.deepEqual(moved, { lastModified: http('10:05:00'), seenAt: at('10:10:00'), checkedAt: at('10:10:00'), trusted: true });
  assert.equal(afterReport(moved, reading('10:05:00', '10:20:00'), true), null, 'changes without a later value: stop probing');
  const unsettled = firstProbe(reading('10:00:00', '10:00:01'))!;
  assert.equal(afterReport(unsettled, reading('10:00:00', '10:00:30'), true)?.trusted, false, 'a change in the same second proves nothing');
});
