import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { ianaFromTzid, ianaToWindows, isIanaZone, windowsToIana } from '../../src/core/timezones.ts';
import { localToInstant, instantToLocal, offsetSeconds } from '../../src/core/ical/zoned.ts';

test('Windows names map to their golden IANA zone and back', () => {
  assert.equal(windowsToIana('Pacific Standard Time'), 'America/Los_Angeles');
  assert.equal(windowsToIana('W. Europe Standard Time'), 'Europe/Berlin');
  assert.equal(windowsToIana('UTC'), 'UTC');
  assert.equal(ianaToWindows('America/Los_Angeles'), 'Pacific Standard Time');
  assert.equal(ianaToWindows('Europe/Berlin'), 'W. Europe Standard Time');
  assert.equal(ianaToWindows('Asia/Kolkata'), 'India Standard Time');
  assert.equal(ianaToWindows('Asia/Calcutta'), 'India Standard Time');
  assert.equal(ianaToWindows('UTC'), 'UTC');
});

test('unknown zone names throw UNKNOWN_TIME_ZONE', () => {
  for (const bad of [() => windowsToIana('Atlantis Standard Time'), () => ianaToWindows('Mars/Olympus_Mons')]) {
    assert.throws(bad, (e: unknown) => e instanceof CoreError && e.code === 'UNKNOWN_TIME_ZONE');
  }
});

test('IANA names known to Intl pass, offsets and miscased names do not', () => {
  assert.ok(isIanaZone('Europe/Berlin'));
  assert.ok(isIanaZone('UTC'));
  assert.ok(isIanaZone('Asia/Kolkata'));
  assert.ok(isIanaZone('Asia/Calcutta'));
  assert.ok(!isIanaZone('utc'));
  assert.ok(!isIanaZone('+01:00'));
  assert.ok(!isIanaZone('Pacific Standard Time'));
  assert.ok(!isIanaZone('Europe/Atlantis'));
});

test('TZIDs as servers write them resolve to IANA zones', () => {
  assert.equal(ianaFromTzid('Europe/Berlin'), 'Europe/Berlin');
  assert.equal(ianaFromTzid('Europe/Berlin '), 'Europe/Berlin');
  assert.equal(ianaFromTzid('/mozilla.org/20050126_1/America/New_York'), 'America/New_York');
  assert.equal(ianaFromTzid('/citadel.org/20190914_1/Europe/Paris'), 'Europe/Paris');
  assert.equal(ianaFromTzid('Pacific Standard Time'), 'America/Los_Angeles');
  assert.equal(ianaFromTzid('Romance Standard Time '), 'Europe/Paris');
  assert.equal(ianaFromTzid('Etc/UTC'), 'UTC');
  assert.equal(ianaFromTzid('Customized Time Zone'), null);
});

test('wall-clock times in a zone follow RFC 5545 across DST gaps and overlaps', () => {
  assert.equal(localToInstant('2025-01-15T10:00:00', 'Europe/Berlin'), Date.parse('2025-01-15T09:00:00Z'));
  assert.equal(localToInstant('2025-07-15T10:00:00', 'Europe/Berlin'), Date.parse('2025-07-15T08:00:00Z'));
  // 2025-03-30 02:30 does not exist in Berlin: read with the offset before the gap.
  assert.equal(localToInstant('2025-03-30T02:30:00', 'Europe/Berlin'), Date.parse('2025-03-30T01:30:00Z'));
  // 2025-10-26 02:30 happens twice in Berlin: the first one (CEST) counts.
  assert.equal(localToInstant('2025-10-26T02:30:00', 'Europe/Berlin'), Date.parse('2025-10-26T00:30:00Z'));
  assert.equal(instantToLocal(Date.parse('2025-10-26T01:30:00Z'), 'Europe/Berlin'), '2025-10-26T02:30:00');
  assert.equal(offsetSeconds(Date.parse('2025-07-01T00:00:00Z'), 'America/Los_Angeles'), -7 * 3600);
  assert.equal(offsetSeconds(Date.parse('2025-07-01T00:00:00Z'), 'Asia/Kolkata'), 5.5 * 3600);
});
