// reminders ⇄ Reminder[] | null. `useDefault: true` is "the default reminders of the
// calendar apply" (model: null); otherwise `overrides` "lists the reminders specific to
// the event, or, if not set, indicates that no reminders are set" (model: []). Methods
// are "email" and "popup"; minutes "between 0 and 40320 (4 weeks in minutes)"; "The
// maximum number of override reminders is 5" (EventReminders, events reference).
// Google has no audio alarm, no more than 5 and none earlier than four weeks: such
// reminders are written as the nearest Google can show (popup, the first five, 40320)
// and kept exactly in calsync's private property while Google still shows that.
import { describe } from '../arguments.ts';
import type { Reminder } from '../model.ts';
import { fail, object, optionalArray, optionalBoolean, optionalInteger, optionalOneOf, type Obj } from './checks.ts';
import { fitting, PRIVATE_KEYS, privateJson } from './private-properties.ts';
import type { GoogleReminder, GoogleReminders } from './types.ts';

const MAX_OVERRIDES = 5;
const MAX_MINUTES = 40320;

const toModel = { popup: 'display', email: 'email' } as const;

function visible(reminders: Reminder[]): GoogleReminder[] {
  const seen = new Map<string, GoogleReminder>();
  for (const r of reminders) {
    const g: GoogleReminder = { method: r.method === 'email' ? 'email' : 'popup', minutes: Math.min(r.minutesBefore, MAX_MINUTES) };
    seen.set(`${g.method}:${g.minutes}`, g);
  }
  return [...seen.values()].slice(0, MAX_OVERRIDES);
}

const key = (list: GoogleReminder[]): string => list.map((r) => `${r.method}:${r.minutes}`).sort().join(',');

function kept(value: string): Reminder[] {
  const at = `extendedProperties.private.${PRIVATE_KEYS.reminders}`;
  const list = privateJson(value, PRIVATE_KEYS.reminders);
  if (!Array.isArray(list)) fail(at, 'expected a list of reminders');
  return list.map((x, i) => {
    const r = object(x, `${at}[${i}]`);
    const method = optionalOneOf(r.method, ['display', 'email', 'audio'] as const, `${at}[${i}].method`);
    const minutesBefore = optionalInteger(r.minutesBefore, `${at}[${i}].minutesBefore`, 0, Number.MAX_SAFE_INTEGER);
    if (method === undefined || minutesBefore === undefined) fail(`${at}[${i}]`, 'needs method and minutesBefore');
    return { method, minutesBefore };
  });
}

export function readReminders(x: unknown, privateValue: string | undefined): Reminder[] | null {
  if (x === undefined) return null;
  const o: Obj = object(x, 'reminders');
  const useDefault = optionalBoolean(o.useDefault, 'reminders.useDefault');
  if (useDefault === undefined) fail('reminders.useDefault', `expected true or false, got ${describe(o.useDefault)}`);
  const overrides = (optionalArray(o.overrides, 'reminders.overrides') ?? []).map((r, i): GoogleReminder => {
    const p = `reminders.overrides[${i}]`;
    const item = object(r, p);
    const method = optionalOneOf(item.method, ['email', 'popup'] as const, `${p}.method`);
    const minutes = optionalInteger(item.minutes, `${p}.minutes`, 0, MAX_MINUTES);
    if (method === undefined) fail(`${p}.method`, 'a reminder needs a method (email or popup)');
    if (minutes === undefined) fail(`${p}.minutes`, 'a reminder needs minutes');
    return { method, minutes };
  });
  if (overrides.length > MAX_OVERRIDES) fail('reminders.overrides', `at most ${MAX_OVERRIDES} reminders, got ${overrides.length}`);
  if (useDefault) {
    if (overrides.length > 0) fail('reminders.overrides', 'overrides are not allowed with useDefault: true');
    return null;
  }
  if (privateValue !== undefined) {
    const exact = kept(privateValue);
    if (key(visible(exact)) === key(overrides)) return exact;
  }
  return overrides.map((r) => ({ method: toModel[r.method], minutesBefore: r.minutes }));
}

export function renderReminders(reminders: Reminder[] | null): { reminders: GoogleReminders; privateValue: string | null } {
  if (reminders === null) return { reminders: { useDefault: true }, privateValue: null };
  const overrides = visible(reminders);
  const exact = overrides.length === reminders.length
    && reminders.every((r, i) => r.method !== 'audio' && overrides[i]!.minutes === r.minutesBefore && overrides[i]!.method === (r.method === 'email' ? 'email' : 'popup'));
  return {
    reminders: overrides.length > 0 ? { useDefault: false, overrides } : { useDefault: false },
    privateValue: exact ? null : fitting(reminders),
  };
}
