// Values an app, a script or an attacker sends where calsync expects something sane:
// strings Postgres cannot store, dates outside every calendar, numbers past every
// column, paths that climb, JSON nested past any stack, and the plausible ones beside
// them so requests also get past the first check.
import fc from 'fast-check';

/** Strings chosen for what they break: storage, parsing, paths, time, size. */
export const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\uffff', '\u202e', '😀', 'Ω≈ç√',
  '%00', '%ED%A0%80', '../../batch', '/%62atch', '%2e%2e/%2e%2e/batch', '..', '.', '//', '\\', 'a/b',
  '<script>alert(1)</script>', "' or 1=1 --", '${jndi:ldap://x}', '{{7*7}}', 'null', 'undefined', 'true', '[]', '{}',
  '-1', '0', '1e309', 'NaN', 'Infinity', '99999999999999999999', '2147483648', '-2147483649', '0x10', '1.5',
  '2026-13-45', '2026-02-30T10:00:00Z', '0000-01-01T00:00:00Z', '0000-01-01', '10000-01-01T00:00:00Z', '+275760-09-13T00:00:01Z',
  '-000001-01-01T00:00:00Z', '1969-12-31T23:59:59.999999999Z', '2026-05-04T10:00:00', '2026-05-04T10:00:00+25:00', 'yesterday',
  'Mars/Olympus_Mons', 'UTC', 'Europe/Berlin', 'America/Argentina/ComodRivadavia', 'EST5EDT', '+05:00',
  'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'RRULE:FREQ=SECONDLY;COUNT=1000000000', 'RRULE:FREQ=YEARLY;BYMONTH=13',
  'RRULE:FREQ=MINUTELY;BYYEARDAY=366;BYMONTH=2', 'RRULE:', 'RRULE:FREQ=WEEKLY;UNTIL=99991231T235959Z', 'RRULE:FREQ=DAILY;COUNT=99999999999',
  'EXDATE:20260230T100000Z', 'RDATE;VALUE=PERIOD:20260504T100000Z/PT1H',
  'http://127.0.0.1:99999/', 'http://[::1]:0/', 'http://169.254.169.254/latest/meta-data/', 'file:///etc/passwd', 'javascript:alert(1)',
  'https://example.invalid/dav/', 'http://localhost/', 'ftp://example.org/',
  'x'.repeat(300), 'y'.repeat(5_000), 'z'.repeat(70_000),
];

export const NASTY_NUMBERS = [0, -1, 1, 0.5, -0.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53, 2 ** 63, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
);

/** Any JSON value, hostile at its leaves, a few levels deep. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(hostileString, tie('value'), { maxKeys: 4 })),
})).value;

/** JSON text nested `depth` levels (a recursive parser's or serialiser's stack). */
export function deepJson(depth: number, open = '[', close = ']'): string {
  return open.repeat(depth) + close.repeat(depth);
}

/** A path segment: percent-encoded where it can be, raw where encoding cannot say it (lone surrogates). */
export function segment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value.replace(/[\ud800-\udfff]/g, '%ED%A0%80');
  }
}
