// VALARM ⇄ Reminder. A VALARM maps when it fires a whole number of minutes before the
// start (TRIGGER a duration ≤ 0, RELATED=START); its other lines ride along in
// extras.ical.alarms. Any other VALARM (absolute or end-relative trigger, after the
// start, seconds) is kept whole in extras.ical.components.
import ICAL from 'ical.js';
import type { Reminder } from '../model.ts';
import { DEFAULT_ALARM_DESCRIPTION } from './extras.ts';
import { contentLine, escapeText, type RawComponent } from './lines.ts';
import { rawValue } from './times.ts';

const METHODS: Record<string, Reminder['method']> = { DISPLAY: 'display', EMAIL: 'email', AUDIO: 'audio' };

export interface ReadAlarm {
  reminder: Reminder;
  /** The VALARM's lines besides ACTION, TRIGGER and the default DESCRIPTION. */
  lines: string[];
}

function params(text: string): Record<string, unknown> {
  try {
    return ICAL.Property.fromString(text).toJSON()[1] as Record<string, unknown>;
  } catch {
    return { unreadable: true };
  }
}

export function readAlarm(c: RawComponent): ReadAlarm | null {
  if (c.components.length > 0) return null;
  const actions = c.properties.filter((p) => p.name === 'ACTION');
  const triggers = c.properties.filter((p) => p.name === 'TRIGGER');
  if (actions.length !== 1 || triggers.length !== 1) return null;
  const method = METHODS[rawValue(actions[0]!.text).trim().toUpperCase()];
  const trigger = triggers[0]!;
  const p = params(trigger.text);
  const related = typeof p.related === 'string' ? p.related.toUpperCase() : 'START';
  const type = typeof p.value === 'string' ? p.value.toUpperCase() : 'DURATION';
  if (method === undefined || p.unreadable || related !== 'START' || type !== 'DURATION') return null;
  let seconds: number;
  try {
    seconds = ICAL.Duration.fromString(rawValue(trigger.text).trim()).toSeconds();
  } catch {
    return null;
  }
  if (seconds > 0 || seconds % 60 !== 0) return null;
  const lines = c.properties
    .filter((l) => l.name !== 'ACTION' && l.name !== 'TRIGGER')
    .filter((l) => !(l.name === 'DESCRIPTION' && rawValue(l.text) === DEFAULT_ALARM_DESCRIPTION))
    .map((l) => l.text);
  return { reminder: { method, minutesBefore: Math.abs(seconds / 60) }, lines };
}

export function alarmLines(reminder: Reminder, extra: string[]): string[] {
  const minutes = reminder.minutesBefore;
  const hasDescription = extra.some((l) => /^DESCRIPTION[;:]/i.test(l));
  return [
    'BEGIN:VALARM',
    `ACTION:${reminder.method.toUpperCase()}`,
    `TRIGGER:${minutes === 0 ? 'PT0S' : `-PT${minutes}M`}`,
    ...(reminder.method === 'audio' || hasDescription
      ? []
      : [contentLine('DESCRIPTION', {}, escapeText(DEFAULT_ALARM_DESCRIPTION))]),
    ...extra,
    'END:VALARM',
  ];
}
