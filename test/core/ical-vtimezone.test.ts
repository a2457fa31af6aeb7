import assert from 'node:assert/strict';
import { test } from 'node:test';
import ICAL from 'ical.js';
import { matchVtimezone, vtimezoneFor } from '../../src/core/ical/vtimezone.ts';
import { offsetSeconds } from '../../src/core/ical/zoned.ts';

/** Offsets the VTIMEZONE gives ical.js at noon UTC of every day of `year`, against Intl's. */
function mismatches(tz: string, year: number): string[] {
  const text = vtimezoneFor(tz, year).join('\r\n');
  const zone = new ICAL.Timezone({ component: ICAL.Component.fromString(text), tzid: tz });
  const wrong: string[] = [];
  for (let day = 0; day < 365; day++) {
    const ms = Date.UTC(year, 0, 1, 12) + day * 86_400_000;
    const utc = ICAL.Time.fromJSDate(new Date(ms), true);
    const local = utc.convertToZone(zone);
    const got = local.utcOffset();
    if (got !== offsetSeconds(ms, tz)) wrong.push(`${new Date(ms).toISOString()} ${got}`);
  }
  return wrong;
}

test('generated VTIMEZONEs give the offsets Intl gives, every day of the year', () => {
  for (const tz of ['Europe/Berlin', 'America/Los_Angeles', 'Australia/Sydney', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kolkata', 'Africa/Casablanca']) {
    assert.deepEqual(mismatches(tz, 2025), [], tz);
  }
});

test('the rules follow the zone: last Sundays in Berlin, first-Sunday October DST in Sydney', () => {
  const berlin = vtimezoneFor('Europe/Berlin', 2025).join('\n');
  assert.match(berlin, /BEGIN:DAYLIGHT\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nTZOFFSETFROM:\+0100\nTZOFFSETTO:\+0200/);
  assert.match(berlin, /BEGIN:STANDARD\nDTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZOFFSETFROM:\+0200\nTZOFFSETTO:\+0100/);
  const sydney = vtimezoneFor('Australia/Sydney', 2025).join('\n');
  assert.match(sydney, /BEGIN:DAYLIGHT\nDTSTART:19701004T020000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU/);
  assert.match(sydney, /TZOFFSETFROM:\+1100\nTZOFFSETTO:\+1000/);
  assert.deepEqual(vtimezoneFor('Asia/Kolkata', 2025), [
    'BEGIN:VTIMEZONE', 'TZID:Asia/Kolkata', 'BEGIN:STANDARD', 'DTSTART:19700101T000000',
    'TZOFFSETFROM:+0530', 'TZOFFSETTO:+0530', 'END:STANDARD', 'END:VTIMEZONE',
  ]);
});

test('custom VTIMEZONEs match the IANA zone with the same offsets', () => {
  const sydneyRules = [
    'BEGIN:VTIMEZONE', 'TZID:My Sydney', 'BEGIN:STANDARD', 'DTSTART:16010101T030000', 'TZOFFSETFROM:+1100',
    'TZOFFSETTO:+1000', 'RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4', 'END:STANDARD', 'BEGIN:DAYLIGHT',
    'DTSTART:16010101T020000', 'TZOFFSETFROM:+1000', 'TZOFFSETTO:+1100', 'RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=10',
    'END:DAYLIGHT', 'END:VTIMEZONE',
  ].join('\r\n');
  assert.equal(matchVtimezone(sydneyRules, 'My Sydney', 2025), 'Australia/Sydney');
  // Same rules, a city name that points elsewhere among equal zones.
  assert.equal(matchVtimezone(sydneyRules.replace(/My Sydney/g, 'Melbourne office'), 'Melbourne office', 2025), 'Australia/Melbourne');
  const us = vtimezoneFor('America/Chicago', 2025).join('\r\n').replace('TZID:America/Chicago', 'TZID:Central');
  assert.equal(matchVtimezone(us, 'Central', 2025), 'America/Chicago');
  const odd = ['BEGIN:VTIMEZONE', 'TZID:Odd', 'BEGIN:STANDARD', 'DTSTART:19700101T000000', 'TZOFFSETFROM:+0117', 'TZOFFSETTO:+0117', 'END:STANDARD', 'END:VTIMEZONE'].join('\r\n');
  assert.equal(matchVtimezone(odd, 'Odd', 2025), null);
  assert.equal(matchVtimezone('not a vtimezone', 'Broken', 2025), null);
});
