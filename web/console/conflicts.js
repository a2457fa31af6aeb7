// Conflicts: the open ones newest first, and one conflict's base, calendar and remote values
// side by side with what differs marked; the person keeps a side or writes the value, which
// the admin API sends to every side (src/engine/conflicts.ts).
import { api } from './api.js';
import { badge, h, jsonField, notice, show, time } from './dom.js';
import { historyHref } from './history.js';
import { bindingLink, calendarOf, withNames } from './names.js';

const textField = /(^|\.)(summary|description|location)$/;
// The confirmation of a decision, shown once on the list the page returns to.
let flash = null;
const sides = [['base', 'Base (last agreed)'], ['calendar', 'Calendar'], ['remote', 'Remote']];

export async function conflictsPage(main, { bindingId } = {}) {
  const list = await api.conflicts({ bindingId });
  const names = new Map();
  const rows = h('tbody', {});
  let next = list.nextPageToken;
  rows.append(...(await withNames(list.items, names)).map((c) => conflictRow(c, names)));
  const more = h('button', { type: 'button', hidden: !next, onclick: async () => {
    const page = await api.conflicts({ bindingId, pageToken: next });
    rows.append(...(await withNames(page.items, names)).map((c) => conflictRow(c, names)));
    next = page.nextPageToken;
    more.hidden = !next;
  } }, 'Show older conflicts');
  const done = flash;
  flash = null;
  show(main,
    h('p', {}, h('a', { href: bindingId ? `#/bindings/${bindingId}` : '#/health' }, bindingId ? '← Binding' : '← Health')),
    h('h1', {}, bindingId ? 'Open conflicts of this binding' : 'Open conflicts'),
    done ? notice(done) : null,
    list.items.length === 0 ? h('p', {}, 'No conflict is waiting for a decision.') : h('div', { class: 'scroll' }, h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Open conflicts, newest first'),
      h('thead', {}, h('tr', {}, ['Event', 'Field', 'Binding', 'Opened', 'History'].map((c) => h('th', { scope: 'col' }, c)))),
      rows)),
    more);
}

function conflictRow(c, names) {
  return h('tr', { 'data-conflict': c.id },
    h('th', { scope: 'row' }, h('a', { href: `#/conflicts/${c.id}` }, summaryOf(c))),
    h('td', {}, c.field === '(deleted)' ? badge('edit against delete', 'warn') : h('code', {}, c.field)),
    h('td', {}, bindingLink(c.bindingId, names)),
    h('td', {}, time(c.createdAt)),
    h('td', {}, historyLink(c, `History of ${summaryOf(c)}`)));
}

/** The conflict's event's history; nothing when its binding is gone (its calendar is unknown). */
function historyLink(c, label) {
  const calendarId = calendarOf.get(c.bindingId);
  return calendarId ? h('a', { href: historyHref(calendarId, c.eventId), 'aria-label': label }, 'History') : '—';
}

/** The event's title as the conflict's own values give it; the event id when they hold none. */
function summaryOf(c) {
  const values = [c.calendar, c.remote, c.base];
  if (c.field === '(deleted)') return values.map((v) => v?.master?.summary).find((s) => s) ?? `event ${c.eventId}`;
  if (c.field === 'summary') return values.find((v) => typeof v === 'string' && v) ?? `event ${c.eventId}`;
  return `event ${c.eventId}`;
}

export async function conflictPage(main, id) {
  const c = await api.conflict(id);
  const names = new Map();
  await withNames([c], names);
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const resolve = async (choice, button) => {
    button.disabled = true;
    try {
      await api.resolve(id, choice);
      flash = `Resolved: ${'take' in choice ? `kept the ${choice.take}'s value` : 'wrote the value'}; it reaches every side with the next passes.`;
      // The router draws the list on the hash change, with the confirmation.
      location.hash = '#/conflicts';
    } catch (error) {
      button.disabled = false;
      status.replaceChildren(notice(`${error.message}${error.hint ? ` ${error.hint}` : ''}`, 'alert'));
    }
  };
  const deleted = c.field === '(deleted)';
  show(main,
    h('p', {}, h('a', { href: '#/conflicts' }, '← Conflicts')),
    h('h1', {}, `Conflict on ${summaryOf(c)}`),
    h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Field'), h('dd', {}, deleted ? 'the whole event (one side deleted it, the other edited it)' : h('code', {}, c.field))),
      h('div', {}, h('dt', {}, 'Binding'), h('dd', {}, bindingLink(c.bindingId, names))),
      h('div', {}, h('dt', {}, 'Opened'), h('dd', {}, time(c.createdAt))),
      h('div', {}, h('dt', {}, 'Event'), h('dd', {}, historyLink(c, 'Why the event changed: its history'))),
      h('div', {}, h('dt', {}, 'State'), h('dd', {}, badge(c.state, c.state === 'open' ? 'warn' : 'good')))),
    h('section', { 'aria-labelledby': 'values-heading' },
      h('h2', { id: 'values-heading' }, 'The values'),
      deleted ? h('p', {}, deletedSentence(c)) : null,
      h('div', { class: 'sides' }, sides.map(([side, label]) => h('section', { class: `card side ${side}`, 'data-side': side, 'aria-label': label },
        h('h3', {}, label), value(c, side))))),
    c.state === 'open' ? decide(c, resolve) : resolution(c),
    status);
}

function deletedSentence(c) {
  if (c.calendar === null) return 'The calendar deleted the event; the remote edited it. Keeping the calendar\'s deletes it everywhere; keeping the remote\'s brings the remote\'s version back.';
  return 'The remote deleted the event; the calendar edited it. Keeping the remote\'s deletes it everywhere; keeping the calendar\'s writes it back to the remote.';
}

/** One side's value, with what differs from the other sides marked. */
function value(c, side) {
  const v = c[side];
  if (c.field === '(deleted)') {
    if (v === null || v === undefined) return h('p', { class: 'deleted' }, badge('deleted', 'bad'), side === 'base' ? '' : ` The ${side} deleted the event.`);
    return eventFacts(v.master ?? v);
  }
  if (c.field === 'time' && v && typeof v === 'object') return timeValue(v, c);
  if (typeof v === 'string') return textValue(v, side === 'base' ? c.calendar : side === 'calendar' ? c.remote : c.calendar);
  if (v === null || v === undefined) return h('p', { class: 'help' }, '(empty)');
  return h('pre', { class: differs(c, side) ? 'differs' : null }, JSON.stringify(v, null, 2));
}

function differs(c, side) {
  const other = side === 'remote' ? c.calendar : c.remote;
  return JSON.stringify(c[side]) !== JSON.stringify(other);
}

/** Marks the part of `text` between what it shares with `other` at both ends. */
function textValue(text, other) {
  if (text === '') return h('p', { class: 'help' }, '(empty)');
  if (typeof other !== 'string' || other === text) return h('p', { class: 'text' }, text);
  let start = 0;
  while (start < text.length && start < other.length && text[start] === other[start]) start++;
  let end = 0;
  while (end < text.length - start && end < other.length - start && text[text.length - 1 - end] === other[other.length - 1 - end]) end++;
  const middle = text.slice(start, text.length - end);
  return h('p', { class: 'text' }, text.slice(0, start), middle ? h('mark', {}, middle) : null, text.slice(text.length - end));
}

function instant(t) {
  // The canonical form: a wall-clock time in a zone (src/core/model.ts).
  if (t && typeof t === 'object' && typeof t.local === 'string') return `${t.local.replace('T', ' ')} ${t.tz ?? '(floating)'}`;
  const iso = typeof t === 'string' ? t : t?.dateTime ?? t?.date ?? null;
  if (!iso) return JSON.stringify(t);
  const zone = typeof t === 'object' && t.timeZone ? ` (${t.timeZone})` : '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? `${iso}${zone}` : `${date.toLocaleString()}${zone}`;
}

function timeValue(v, c) {
  const others = [c.base, c.calendar, c.remote].filter((o) => o && o !== v);
  const mark = (key, text) => (others.some((o) => JSON.stringify(o[key]) !== JSON.stringify(v[key])) ? h('mark', {}, text) : text);
  return h('dl', { class: 'when' },
    h('dt', {}, 'Starts'), h('dd', {}, mark('start', instant(v.start))),
    h('dt', {}, 'Ends'), h('dd', {}, mark('end', instant(v.end))),
    v.allDay ? [h('dt', {}, 'All day'), h('dd', {}, 'yes')] : null);
}

function eventFacts(e) {
  return h('dl', { class: 'when' },
    h('dt', {}, 'Title'), h('dd', {}, e.summary || '(none)'),
    e.start ? [h('dt', {}, 'Starts'), h('dd', {}, instant(e.start))] : null,
    e.end ? [h('dt', {}, 'Ends'), h('dd', {}, instant(e.end))] : null,
    e.location ? [h('dt', {}, 'Location'), h('dd', {}, e.location)] : null,
    e.description ? [h('dt', {}, 'Description'), h('dd', {}, e.description)] : null);
}

function decide(c, resolve) {
  const take = (side, label) => h('button', { type: 'button', onclick: (event) => resolve({ take: side }, event.currentTarget) }, label);
  const parts = [h('div', { class: 'actions' }, take('calendar', 'Keep calendar\'s'), take('remote', 'Keep remote\'s'))];
  if (c.field !== '(deleted)') parts.push(writeForm(c, resolve));
  return h('section', { 'aria-labelledby': 'decide-heading' }, h('h2', { id: 'decide-heading' }, 'Decide'), parts);
}

function writeForm(c, resolve) {
  const text = textField.test(c.field) || [c.calendar, c.remote].every((v) => typeof v === 'string');
  const error = h('div', { id: 'value-error' });
  const input = text
    ? h('input', { id: 'value', name: 'value', value: c.calendar ?? '', 'aria-describedby': 'value-help value-error' })
    : h('textarea', { id: 'value', name: 'value', rows: 8, spellcheck: 'false', 'aria-describedby': 'value-help value-error' }, JSON.stringify(c.calendar, null, 2));
  const form = h('form', { class: 'write', onsubmit: (event) => {
    event.preventDefault();
    error.replaceChildren();
    const written = text ? { value: input.value } : jsonField(input, error);
    if (!written) return;
    resolve({ value: written.value }, form.querySelector('button'));
  } },
  h('label', { for: 'value' }, 'Write a value'),
  input,
  h('p', { id: 'value-help', class: 'help' }, text ? 'The text every side will hold.' : 'JSON, in the form the values above show; checked before it is sent.'),
  error,
  h('button', { type: 'submit' }, 'Write this value'));
  return form;
}

function resolution(c) {
  const what = c.resolution && typeof c.resolution === 'object' && 'take' in c.resolution ? `kept the ${c.resolution.take}'s value`
    : c.resolution && typeof c.resolution === 'object' && 'value' in c.resolution ? ['wrote ', h('code', {}, JSON.stringify(c.resolution.value))]
      : JSON.stringify(c.resolution);
  return h('section', { 'aria-labelledby': 'resolution-heading' },
    h('h2', { id: 'resolution-heading' }, c.state === 'dismissed' ? 'Dismissed' : 'Resolved'),
    h('p', { class: 'resolution' }, c.state === 'dismissed' ? 'Dismissed' : 'Resolved', c.resolvedBy ? ` by ${c.resolvedBy}` : '', ' ', time(c.resolvedAt), c.state === 'resolved' ? [': ', what] : '', '.'));
}
