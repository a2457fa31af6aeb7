import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import type { CanonicalEvent } from '../../src/core/model.ts';
import type { IcalExtras } from '../../src/core/ical/extras.ts';
import { parseCalendar, type ParsedCalendar } from '../../src/core/ical/parse.ts';
import { fixture } from '../fixtures/ical/fixtures.ts';

function parse(name: string): ParsedCalendar {
  return parseCalendar(fixture(name));
}

function only(name: string): CanonicalEvent {
  const { series } = parse(name);
  assert.equal(series.length, 1);
  assert.ok(series[0]!.master);
  return series[0]!.master;
}

const ical = (e: CanonicalEvent): IcalExtras => e.extras.ical as IcalExtras;

function failsAt(input: string | Uint8Array, line: number, message: RegExp): void {
  assert.throws(
    () => parseCalendar(input),
    (e: unknown) => {
      assert.ok(e instanceof CoreError, String(e));
      assert.equal(e.code, 'INVALID_ICALENDAR');
      assert.equal(e.path, `line ${line}`);
      assert.match(e.message, message);
      return true;
    },
  );
}

test('all_day: a date, exclusive end, server-owned properties and calendar properties kept aside', () => {
  const cal = parse('all_day.ics');
  const e = cal.series[0]!.master!;
  assert.equal(e.allDay, true);
  assert.deepEqual(e.start, { local: '2025-06-12', tz: null });
  assert.deepEqual(e.end, { local: '2025-06-13', tz: null });
  assert.equal(e.transparency, 'transparent');
  assert.equal(e.reminders, null);
  assert.deepEqual(cal.properties, ['CALSCALE:GREGORIAN', 'METHOD:PUBLISH', 'X-WR-CALNAME:Team', 'X-WR-TIMEZONE:Europe/Berlin']);
  // Kept to be written back as they came, never as properties of the event.
  assert.deepEqual(e.extras, {
    ical: {
      stamps: ['DTSTAMP:20250601T081522Z', 'CREATED:20250520T091200Z', 'LAST-MODIFIED:20250520T091200Z'],
      calendar: cal.properties,
    },
  });
  assert.equal(cal.series[0]!.calsyncId, null);
});

test('all_day_multi_day: DTEND, DURATION and a missing end', () => {
  const [trip, conference, holiday] = parse('all_day_multi_day.ics').series.map((s) => s.master!);
  assert.deepEqual([trip!.start.local, trip!.end.local], ['2025-04-18', '2025-04-21']);
  assert.equal(trip!.location, 'Lisbon');
  assert.equal(trip!.sequence, 1);
  assert.deepEqual([conference!.start.local, conference!.end.local], ['2025-05-05', '2025-05-07']);
  assert.deepEqual([holiday!.start.local, holiday!.end.local], ['2025-06-01', '2025-06-02']);
  assert.ok([trip, conference, holiday].every((e) => e!.allDay && e!.start.tz === null));
});

test('floating_time: no TZID and no Z is floating; Z is UTC; DURATION gives the end', () => {
  const [pill, call] = parse('floating_time.ics').series.map((s) => s.master!);
  assert.deepEqual(pill!.start, { local: '2025-01-15T08:00:00', tz: null });
  assert.deepEqual(pill!.end, { local: '2025-01-15T08:15:00', tz: null });
  assert.deepEqual(pill!.recurrence, { rrule: ['FREQ=DAILY;COUNT=30'], rdate: [], exdate: [] });
  assert.deepEqual(call!.start, { local: '2025-01-16T15:00:00', tz: 'UTC' });
  assert.deepEqual(call!.end, { local: '2025-01-16T15:45:00', tz: 'UTC' });
});

test('custom_vtimezone: Outlook custom zone matched to IANA; an unmatched one read by its own offsets', () => {
  const [review, lunar] = parse('custom_vtimezone.ics').series.map((s) => s.master!);
  assert.deepEqual(review!.start, { local: '2025-03-10T10:00:00', tz: 'Europe/Berlin' });
  assert.equal(review!.visibility, 'public');
  assert.deepEqual(ical(review!).params, { SUMMARY: { language: 'en-us' } });
  assert.deepEqual(ical(review!).properties, ['PRIORITY:5', 'X-MICROSOFT-CDO-BUSYSTATUS:BUSY', 'X-MICROSOFT-CDO-IMPORTANCE:1']);
  assert.equal(ical(review!).timezone, undefined);
  // 09:00 at +03:17 is 05:43 UTC: the model keeps the exact instant, the zone rides along.
  assert.deepEqual(lunar!.start, { local: '2025-03-11T05:43:00', tz: 'UTC' });
  assert.deepEqual(lunar!.recurrence!.exdate, ['2025-03-13T05:43:00']);
  assert.equal(ical(lunar!).timezone!.tzid, 'Lunar Base Time');
  assert.match(ical(lunar!).timezone!.vtimezone, /^BEGIN:VTIMEZONE\r\nTZID:Lunar Base Time\r\n[\s\S]*TZOFFSETTO:\+0317[\s\S]*END:VTIMEZONE$/);
});

test('rrule_exdate_two_overrides: Google series with EXDATEs in two forms and two overrides', () => {
  const [series] = parse('rrule_exdate_two_overrides.ics').series;
  const master = series!.master!;
  assert.deepEqual(master.start, { local: '2025-03-03T10:00:00', tz: 'Europe/Berlin' });
  assert.deepEqual(master.recurrence, {
    rrule: ['FREQ=WEEKLY;WKST=MO;COUNT=8;BYDAY=MO'],
    rdate: [],
    // 20250407T080000Z is 10:00 CEST: converted to the master's local time.
    exdate: ['2025-03-17T10:00:00', '2025-04-07T10:00:00'],
  });
  assert.equal(master.sequence, 2);
  assert.deepEqual(master.organizer, { email: 'maria.schmidt@example.com', name: 'Maria Schmidt' });
  assert.deepEqual(master.attendees, [
    { email: 'maria.schmidt@example.com', name: 'Maria Schmidt', role: 'required', response: 'accepted', respondedAt: null },
    { email: 'tom@example.com', name: 'tom@example.com', role: 'required', response: 'needs-action', respondedAt: null },
    { email: 'lee.chen@example.com', name: 'Lee Chen', role: 'optional', response: 'tentative', respondedAt: null },
  ]);
  assert.deepEqual(ical(master).params!['ATTENDEE:tom@example.com'], { cutype: 'INDIVIDUAL', rsvp: 'TRUE', 'x-num-guests': '0' });
  assert.deepEqual(master.conference, { url: 'https://meet.google.com/abc-defg-hij', provider: 'meet' });
  assert.equal(master.description, 'Weekly sync.\n\nJoin with Google Meet: https://meet.google.com/abc-defg-hij');
  assert.deepEqual(master.reminders, [{ method: 'display', minutesBefore: 10 }]);
  assert.equal(ical(master).alarms, undefined, "Google's placeholder alarm DESCRIPTION is not kept");

  assert.equal(series!.overrides.length, 2);
  const [moved, longer] = series!.overrides;
  assert.equal(moved!.recurrenceId, '2025-03-24T10:00:00');
  assert.deepEqual(moved!.start, { local: '2025-03-25T15:00:00', tz: 'Europe/Berlin' });
  assert.equal(moved!.location, 'Room 4.12');
  assert.equal(moved!.summary, 'Team sync (moved to Tuesday)');
  // RECURRENCE-ID:20250414T080000Z is the 10:00 Berlin instance.
  assert.equal(longer!.recurrenceId, '2025-04-14T10:00:00');
  assert.deepEqual(longer!.end, { local: '2025-04-14T11:00:00', tz: 'Europe/Berlin' });
  assert.ok(series!.overrides.every((o) => o.uid === master.uid && o.recurrence === null));
});

test('cancelled_override: a cancelled instance is an override with status cancelled', () => {
  const [series] = parse('cancelled_override.ics').series;
  assert.equal(series!.master!.start.tz, 'America/New_York');
  assert.deepEqual(series!.master!.recurrence!.rrule, ['FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20250131T140000Z']);
  assert.equal(series!.overrides.length, 1);
  assert.equal(series!.overrides[0]!.recurrenceId, '2025-01-10T09:00:00');
  assert.equal(series!.overrides[0]!.status, 'cancelled');
  assert.equal(series!.overrides[0]!.sequence, 1);
});

test('outlook_windows_tzid: Windows TZID, Teams link, Outlook X- properties', () => {
  const e = only('outlook_windows_tzid.ics');
  assert.deepEqual(e.start, { local: '2025-03-13T09:00:00', tz: 'America/Los_Angeles' });
  assert.deepEqual(e.recurrence!.exdate, ['2025-04-10T09:00:00']);
  assert.equal(e.uid, '040000008200E00074C5B7101A82E0080000000050D8E1A2B3C4DB0100000000000000001000000012AB34CD56EF7890AB12CD34EF567890');
  assert.equal(e.status, 'tentative');
  assert.equal(e.visibility, 'private');
  assert.equal(e.conference!.provider, 'teams');
  assert.match(e.conference!.url, /^https:\/\/teams\.microsoft\.com\/l\/meetup-join\/19%3ameeting_NzQ1ZTk4YjAtNDI0Zi00ZWRk%40thread\.v2\/0\?context=/);
  assert.deepEqual(e.reminders, [{ method: 'display', minutesBefore: 15 }]);
  assert.deepEqual(ical(e).alarms, { 'display:15': [['DESCRIPTION:REMINDER']] });
  assert.ok(ical(e).properties!.includes('X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE'));
  assert.ok(!ical(e).properties!.some((p) => p.startsWith('X-MICROSOFT-SKYPETEAMSMEETINGURL')), 'the Teams link became the conference');
});

test('outlook_tzid_trailing_space: "W. Europe Standard Time " resolves to Europe/Berlin', () => {
  const e = only('outlook_tzid_trailing_space.ics');
  assert.deepEqual(e.start, { local: '2025-07-02T14:00:00', tz: 'Europe/Berlin' });
  assert.deepEqual(e.end, { local: '2025-07-02T15:30:00', tz: 'Europe/Berlin' });
  assert.deepEqual(e.attendees, [
    { email: 'anna.mueller@example.de', name: 'Anna Müller', role: 'required', response: 'needs-action', respondedAt: null },
  ]);
  assert.equal(e.description, 'Planning voor Q3\n');
  assert.deepEqual(ical(e).params!.DESCRIPTION, { language: 'nl-NL' });
});

test('google_birthday: yearly all-day series starting on a leap day', () => {
  const [leap, ada] = parse('google_birthday.ics').series.map((s) => s.master!);
  assert.equal(leap!.allDay, true);
  assert.deepEqual([leap!.start.local, leap!.end.local], ['1996-02-29', '1996-03-01']);
  assert.deepEqual(leap!.recurrence, { rrule: ['FREQ=YEARLY'], rdate: [], exdate: [] });
  assert.equal(leap!.transparency, 'transparent');
  assert.equal(leap!.visibility, 'public');
  assert.ok(ical(leap!).properties!.includes('X-GOOGLE-CALENDAR-CONTENT-ICON:https://calendar.google.com/googlecalendar/images/cake.gif'));
  assert.equal(ada!.summary, "Ada Lovelace's birthday");
});

test('folded_lines: octet folds inside multi-byte characters rejoin', () => {
  const e = only('folded_lines.ics');
  assert.equal(
    e.description,
    'Grüße aus München! Agenda: 1) Rückblick — was lief gut, was nicht; 2) Planung für das nächste Quartal 📅🚀; 3) 日本語のメモ: 会議室は東京オフィスの三階です。Bitte pünktlich sein.',
  );
  assert.equal(e.summary, 'Quartalsplanung mit dem Team aus Köln, Düsseldorf, Zürich und Tōkyō (Überlänge)');
  assert.equal(e.location, 'Besprechungsraum „Großer Saal“ — Erdgeschoss, Gebäude Ä');
  assert.deepEqual(ical(e).properties, [`X-LONG-PROPERTY;X-PARAM="a value; with: specials":${'x'.repeat(200)}`]);
});

test('escaped_text: commas, semicolons, backslashes and newlines unescape', () => {
  const e = only('escaped_text.ics');
  assert.equal(e.summary, 'Dinner, drinks; and a backslash \\ here');
  assert.equal(e.description, 'Line one\nLine two\nLine three, with comma; semicolon: colon');
  assert.equal(e.location, 'The Crown & Anchor, 22 High St, London');
  assert.deepEqual(e.categories, ['Social', 'Food, Drink', 'Friends']);
  assert.equal(e.color, 'darkorange');
  assert.equal(e.start.tz, 'Europe/London');
});

test('x_properties_and_valarm: unknown properties, parameters and components are kept', () => {
  const e = only('x_properties_and_valarm.ics');
  const x = ical(e);
  assert.equal(e.descriptionHtml, '<p>Bring the <b>prototype</b>.</p>');
  assert.equal(e.description, 'Bring the prototype.');
  assert.equal(e.location, 'Station F\nParis');
  assert.equal(e.visibility, 'confidential');
  assert.equal(e.sequence, 4);
  assert.deepEqual(e.organizer, { email: 'claire.dupont@example.fr', name: 'Dupont, Claire' });
  assert.deepEqual(x.params!.ORGANIZER, { 'sent-by': 'mailto:assistant@example.fr' });
  assert.deepEqual(
    e.attendees.map((a) => [a.email, a.role, a.response, a.respondedAt]),
    [
      ['claire.dupont@example.fr', 'chair', 'accepted', null],
      ['salle.turing@example.fr', 'non-participant', 'accepted', null],
      ['bob@example.com', 'required', 'declined', '2025-05-03T08:00:00Z'],
    ],
  );
  assert.deepEqual(e.conference, { url: 'https://us02web.zoom.us/j/81234567890', provider: 'zoom' });
  assert.deepEqual(x.params!.CONFERENCE, { feature: 'VIDEO', label: 'Zoom' });
  assert.deepEqual(e.reminders, [
    { method: 'audio', minutesBefore: 30 },
    { method: 'email', minutesBefore: 1440 },
  ]);
  assert.deepEqual(x.alarms!['audio:30'], [[
    'X-WR-ALARMUID:6E0B3E1C-0F5B-4B4B-9C1A-2D3E4F5A6B7C',
    'UID:6E0B3E1C-0F5B-4B4B-9C1A-2D3E4F5A6B7C',
    'ATTACH;VALUE=URI:Chord',
  ]]);
  assert.equal(x.components!.length, 2);
  assert.match(x.components![0]!, /^BEGIN:VALARM\r\n.*TRIGGER;VALUE=DATE-TIME:20250519T160000Z/s);
  assert.equal(x.components![1], 'BEGIN:X-CUSTOM-THING\r\nX-FOO:bar\r\nEND:X-CUSTOM-THING');
  assert.ok(x.properties!.includes('URL;VALUE=URI:https://example.com/workshops/42'), 'a URL that is no conference link stays');
  assert.ok(x.properties!.includes('GEO:48.834;2.370'));
  assert.ok(x.properties!.some((p) => p.startsWith('X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS="5 Parvis')));
  assert.deepEqual(e.categories, ['Clients']);
  assert.equal(e.color, 'teal');
});

test('X-CALSYNC-ID is exposed per series, not kept as an unknown property', () => {
  const text = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//x//x//EN',
    'BEGIN:VEVENT', 'UID:a', 'DTSTART:20250101T100000Z', 'X-CALSYNC-ID:cs_42', 'END:VEVENT',
    'END:VCALENDAR',
  ].join('\r\n');
  const [series] = parseCalendar(text).series;
  assert.equal(series!.calsyncId, 'cs_42');
  assert.deepEqual(series!.master!.extras, { ical: { omitted: ['SEQUENCE', 'STATUS', 'TRANSP', 'DTEND'] } });
  assert.deepEqual(series!.master!.end, { local: '2025-01-01T10:00:00', tz: 'UTC' });
});

test('DURATION: days are nominal, hours exact, across a DST change', () => {
  const cal = (start: string, duration: string): string =>
    ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:d', `DTSTART;TZID=Europe/Berlin:${start}`, `DURATION:${duration}`, 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
  const end = (start: string, duration: string) => parseCalendar(cal(start, duration)).series[0]!.master!.end;
  // Berlin moves from +01:00 to +02:00 at 02:00 on 2025-03-30.
  assert.deepEqual(end('20250329T120000', 'P1D'), { local: '2025-03-30T12:00:00', tz: 'Europe/Berlin' });
  assert.deepEqual(end('20250329T120000', 'PT24H'), { local: '2025-03-30T13:00:00', tz: 'Europe/Berlin' });
  assert.deepEqual(end('20250329T120000', 'P1DT2H'), { local: '2025-03-30T14:00:00', tz: 'Europe/Berlin' });
  assert.deepEqual(end('20250329T120000', 'P1W'), { local: '2025-04-05T12:00:00', tz: 'Europe/Berlin' });
});

test('line breaks: LF only and lone CR (old Mac exports) are read like CRLF', () => {
  const lines = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:u', 'DTSTART;VALUE=DATE:20250101', 'SUMMARY:a long', '  folded line', 'END:VEVENT', 'END:VCALENDAR'];
  for (const br of ['\n', '\r', '\r\n']) {
    for (const input of [lines.join(br), new TextEncoder().encode(lines.join(br))]) {
      const e = parseCalendar(input).series[0]!.master!;
      assert.equal(e.summary, 'a long folded line');
      assert.equal(e.start.local, '2025-01-01');
    }
  }
  failsAt(['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:u', 'END:VEVENT', 'END:VCALENDAR'].join('\r'), 2, /without DTSTART/);
});

test('regressions found by damaging fixtures', () => {
  const cal = (...lines: string[]): string =>
    ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:r', ...lines, 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
  // A second SUMMARY cannot be kept: as an unknown line it would become the first one later.
  failsAt(cal('DTSTART:20250101T100000Z', 'SUMMARY:a', 'SUMMARY:b'), 6, /SUMMARY appears twice in one VEVENT \(first on line 5\)/);
  // DTEND and DURATION together: DTEND counts, DURATION is kept as written.
  const both = parseCalendar(cal('DTSTART:20250101T100000Z', 'DTEND:20250101T110000Z', 'DURATION:PT5H')).series[0]!.master!;
  assert.equal(both.end.local, '2025-01-01T11:00:00');
  const omitted = ['SEQUENCE', 'STATUS', 'TRANSP'];
  assert.deepEqual(both.extras, { ical: { properties: ['DURATION:PT5H'], omitted } });
  // RFC 7986 allows several CONFERENCE properties: the first is the model's.
  const two = parseCalendar(cal('DTSTART:20250101T100000Z', 'CONFERENCE;VALUE=URI:https://zoom.us/j/1', 'CONFERENCE;VALUE=URI:tel:+1555')).series[0]!.master!;
  assert.equal(two.conference!.url, 'https://zoom.us/j/1');
  assert.deepEqual(two.extras, { ical: { properties: ['CONFERENCE;VALUE=URI:tel:+1555'], omitted: [...omitted, 'DTEND'] } });
  // A conference "link" that is no URL stays a line; the next usable link is taken.
  const junk = parseCalendar(cal('DTSTART:20250101T100000Z', 'CONFERENCE:see invite', 'X-GOOGLE-CONFERENCE:https://meet.google.com/a-b-c')).series[0]!.master!;
  assert.deepEqual(junk.conference, { url: 'https://meet.google.com/a-b-c', provider: 'meet' });
  assert.deepEqual(junk.extras, { ical: { properties: ['CONFERENCE:see invite'], omitted: [...omitted, 'DTEND'] } });
  // A VTIMEZONE observance without DTSTART: ical.js reads offset 0 everywhere, which is not UTC.
  const text = [
    'BEGIN:VCALENDAR', 'BEGIN:VTIMEZONE', 'TZID:Lunar', 'BEGIN:STANDARD', 'TZOFFSETFROM:+0317', 'TZOFFSETTO:+0317',
    'END:STANDARD', 'END:VTIMEZONE', 'BEGIN:VEVENT', 'UID:l', 'DTSTART;TZID=Lunar:20250311T090000', 'END:VEVENT', 'END:VCALENDAR',
  ].join('\r\n');
  const lunar = parseCalendar(text).series[0]!.master!;
  assert.deepEqual(lunar.start, { local: '2025-03-11T09:00:00', tz: null });
  assert.equal(ical(lunar).timezone!.tzid, 'Lunar');
  // The VTIMEZONE's TZID padded with a space, the reference not: still the same zone.
  const padded = parseCalendar(text.replace('TZID:Lunar', 'TZID:Lunar ')).series[0]!.master!;
  assert.match(ical(padded).timezone!.vtimezone, /^BEGIN:VTIMEZONE\r\nTZID:Lunar \r\n/);
});

test('a TZID nobody can read, without a VTIMEZONE, is floating and keeps its TZID', () => {
  const text = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:u', 'DTSTART;TZID=Nowhere/Special:20250101T100000', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
  const e = parseCalendar(text).series[0]!.master!;
  assert.deepEqual(e.start, { local: '2025-01-01T10:00:00', tz: null });
  assert.deepEqual(ical(e).timezone, { tzid: 'Nowhere/Special', vtimezone: '' });
});

test('broken fixtures fail with INVALID_ICALENDAR naming the line', () => {
  failsAt(fixture('broken_missing_dtstart.ics'), 11, /VEVENT without DTSTART/);
  failsAt(fixture('broken_unterminated.ics'), 4, /BEGIN:VEVENT is never closed/);
  failsAt(fixture('broken_unreadable_dtstart.ics'), 8, /DTSTART has an unreadable value "2025-01-05 10:00"/);
});

test('other broken input names its line too', () => {
  const cal = (...lines: string[]): string =>
    ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:u', ...lines, 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
  failsAt('', 1, /no BEGIN:VCALENDAR/);
  failsAt('hello world', 1, /not an iCalendar content line/);
  failsAt('BEGIN:VEVENT\r\nEND:VEVENT', 1, /expected BEGIN:VCALENDAR/);
  failsAt(cal('DTSTART:20250101T100000Z', 'END:VTODO'), 6, /END:VTODO closes BEGIN:VEVENT of line 3/);
  failsAt(cal('DTSTART:20250230T100000Z'), 5, /impossible time/);
  failsAt(cal('DTSTART;VALUE=DATE:2025013'), 5, /unreadable value/);
  failsAt(cal('DTSTART:20250101T100000Z', 'RRULE:FREQ=SOMETIMES'), 6, /bad RRULE/);
  failsAt(cal('DTSTART:20250101T100000Z', 'SEQUENCE:two'), 6, /SEQUENCE/);
  failsAt(cal('DTSTART;VALUE=DATE:20250101', 'DTEND:20250102T100000Z'), 6, /must both be dates/);
  failsAt(cal('DTSTART:20250101T100000Z', 'DTEND:20250101T090000Z'), 3, /end is before start/);
  failsAt(cal('DTSTART:20250101T100000Z', 'DURATION:soon'), 6, /DURATION/);
  failsAt(cal('DTSTART:20250101T100000Z', 'ATTENDEE;CN="unclosed:mailto:a@b.c'), 6, /unreadable ATTENDEE/);
  failsAt(['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART:20250101T100000Z', 'END:VEVENT', 'END:VCALENDAR'].join('\n'), 2, /without UID/);
  failsAt(
    ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:u', 'DTSTART:20250101T100000Z', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:u', 'DTSTART:20250102T100000Z', 'END:VEVENT', 'END:VCALENDAR'].join('\n'),
    6,
    /second VEVENT with UID "u"/,
  );
  failsAt(new Uint8Array([...new TextEncoder().encode('BEGIN:VCALENDAR\r\nX-A:'), 0xff, 0xfe]), 2, /not valid UTF-8/);
});
