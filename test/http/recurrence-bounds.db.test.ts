// Hostile and absurd recurrences at the API: rules that never occur are refused (400
// INVALID_RECURRENCE) by every write that takes one and nothing is stored; rules that
// occur rarely still list every instance. Tests that could hang run under a hang
// guard, so a regression fails the file instead of stalling the suite.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { docsBatch, readBatchAnswer } from '../helpers/google-batch.ts';
import { withoutHanging } from '../helpers/hang-guard.ts';

let t: TestApp;
let tenant: Awaited<ReturnType<typeof tenantWithKey>>;

before(async () => {
  t = await testApp();
  tenant = await tenantWithKey(t, 'recurrence');
});
after(async () => { await t.close(); });

async function newCalendar(summary: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: tenant.auth, payload: { summary, timeZone: 'Europe/Berlin' } });
  return res.json().id;
}

const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: tenant.auth, ...(payload ? { payload } : {}) });

const berlin = (dateTime: string) => ({ dateTime, timeZone: 'Europe/Berlin' });
const body = (rule: string, extra: object = {}) => ({
  summary: 'Absurd', start: berlin('2026-01-01T10:00:00'), end: berlin('2026-01-01T11:00:00'), recurrence: [`RRULE:${rule}`], ...extra,
});

const NEVER = [
  'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30', 'FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30', 'FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30',
  'FREQ=WEEKLY;INTERVAL=20871;BYMONTH=2', 'FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30', 'FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31', 'FREQ=DAILY;BYMONTH=4,6,9,11;BYMONTHDAY=31',
  'FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1', 'FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6', 'FREQ=HOURLY;INTERVAL=2;BYHOUR=1', 'FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6',
];
const BEYOND_STORE = ['FREQ=YEARLY;COUNT=100000', 'FREQ=DAILY;UNTIL=99991231T000000Z', 'FREQ=WEEKLY;COUNT=99999999999999'];

function assertRefused(res: { statusCode: number; body: string; json(): any }, rule: string): void {
  assert.equal(res.statusCode, 400, `${rule}: ${res.body}`);
  const { error } = res.json();
  assert.equal(error.calsync.code, 'INVALID_RECURRENCE', `${rule}: ${res.body}`);
  assert.equal(error.errors[0].reason, 'invalid', rule);
  assert.match(error.message, /^recurrence\[0\]: RRULE ".+"/, rule);
}

test('rules that never occur, or run past what the store holds, are refused with 400 by every write; nothing is stored', async () => {
  await withoutHanging(180, 'refusing absurd rules', async () => {
    const calendarId = await newCalendar('Refusals');
    const events = `/calendar/v3/calendars/${calendarId}/events`;
    for (const rule of [...NEVER, ...BEYOND_STORE]) {
      assertRefused(await call('POST', events, body(rule)), rule);
      assertRefused(await call('POST', `${events}/import`, body(rule, { iCalUID: `import-${rule.length}@test` })), rule);
    }
    const feb30 = await call('POST', events, body('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'));
    assert.match(feb30.json().error.message, /never occurs: February has no day BYMONTHDAY=30; fix BYMONTH or BYMONTHDAY/);
    assert.equal((await call('GET', `${events}?singleEvents=true`)).json().items.length, 0, 'nothing was stored');

    const { id, iCalUID } = (await call('POST', events, body('FREQ=WEEKLY;COUNT=4'))).json();
    for (const rule of ['FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30', 'FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30']) {
      assertRefused(await call('PUT', `${events}/${id}`, body(rule, { iCalUID })), rule);
      assertRefused(await call('PATCH', `${events}/${id}`, { recurrence: [`RRULE:${rule}`] }), rule);
    }
    assert.deepEqual((await call('GET', `${events}/${id}`)).json().recurrence, ['RRULE:FREQ=WEEKLY;COUNT=4'], 'the event kept its rule');

    const batch = docsBatch([
      { method: 'POST', path: events, body: body('FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30') },
      { method: 'POST', path: events, body: body('FREQ=DAILY;COUNT=2') },
    ]);
    const res = await t.app.inject({ method: 'POST', url: '/batch/calendar/v3', headers: { ...tenant.auth, 'content-type': batch.contentType }, payload: batch.body });
    const answers = readBatchAnswer(String(res.headers['content-type']), res.body);
    const [refused, created] = batch.ids.map((part) => answers.get(part)!);
    assert.equal(refused!.status, 400);
    assert.equal(JSON.parse(refused!.content).error.calsync.code, 'INVALID_RECURRENCE');
    assert.equal(created!.status, 200);
    const summaries = (await call('GET', `${events}?singleEvents=true`)).json().items.map((i: { recurringEventId: string }) => i.recurringEventId);
    assert.equal(summaries.length, 4 + 2, 'the weekly series and the batch\'s daily one, nothing else');
  });
});

test('rules that occur rarely still list every instance: 29 February, the 31st, Friday the 13th', async () => {
  const calendarId = await newCalendar('Rare');
  const events = `/calendar/v3/calendars/${calendarId}/events`;
  const starts = async (requestBody: object, timeMax: string): Promise<string[]> => {
    const { id } = (await call('POST', events, requestBody)).json();
    const res = await call('GET', `${events}/${id}/instances?timeMax=${timeMax}`);
    return res.json().items.map((i: { start: { date?: string; dateTime?: string } }) => (i.start.date ?? i.start.dateTime!).slice(0, 10));
  };
  assert.deepEqual(await starts({ summary: 'Leap day', start: { date: '2024-02-29' }, end: { date: '2024-03-01' }, recurrence: ['RRULE:FREQ=YEARLY'] }, '2037-01-01T00:00:00Z'),
    ['2024-02-29', '2028-02-29', '2032-02-29', '2036-02-29']);
  assert.deepEqual(await starts(body('FREQ=MONTHLY;BYMONTHDAY=31', { start: berlin('2026-01-31T10:00:00'), end: berlin('2026-01-31T11:00:00') }), '2027-01-01T00:00:00Z'),
    ['2026-01-31', '2026-03-31', '2026-05-31', '2026-07-31', '2026-08-31', '2026-10-31', '2026-12-31']);
  assert.deepEqual(await starts(body('FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13', { start: berlin('2026-02-13T10:00:00'), end: berlin('2026-02-13T11:00:00') }), '2028-01-01T00:00:00Z'),
    ['2026-02-13', '2026-03-13', '2026-11-13', '2027-08-13']);
});
