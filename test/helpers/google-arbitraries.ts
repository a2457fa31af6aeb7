// Arbitrary canonical events and series that are valid and that Google resources can
// carry (with calsync's private properties), for the Google property tests.
import fc from 'fast-check';
import { htmlToText } from '../../src/core/html-text.ts';
import { eventArbitrary, seriesArbitrary } from './event-arbitraries.ts';

// Plain text that does not read as markup (description.ts escapes what would).
const text = fc.string({ unit: 'grapheme', maxLength: 80 }).filter((s) => !/[<&]/.test(s));
const short = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '');
const html = fc.constantFrom('<p>Agenda</p>', 'Line one<br>Line two', '<b>Bold</b> &amp; <i>italic</i>', '<a href="https://example.com">Link</a>');
export const calendarZone = fc.constantFrom('Europe/Berlin', 'America/New_York', 'UTC', 'Australia/Lord_Howe');

export const eventArb = eventArbitrary({
  uid: 'roundtrip@example.com',
  summary: fc.string({ unit: 'grapheme', maxLength: 80 }),
  description: fc.oneof(
    text.map((t) => ({ description: t, descriptionHtml: null })),
    html.map((h) => ({ description: htmlToText(h), descriptionHtml: h })),
  ),
  location: fc.string({ unit: 'grapheme', maxLength: 80 }),
  name: short,
  category: short,
  email: fc.constantFrom('ann@example.com', 'bob@example.org', 'c.d@example.net', 'room-1@resource.calendar.google.com'),
  // Beyond what Google shows (five, 40,320 minutes): calsync carries the rest privately.
  reminders: { maxMinutes: 50000, maxCount: 7 },
});

export const seriesArb = seriesArbitrary(eventArb, fc.string({ unit: 'grapheme', maxLength: 40 }));
