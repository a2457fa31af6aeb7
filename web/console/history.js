// Why an event changed: every version newest first, with what caused it (the app, an
// operator, or a pass of a binding on one side, with its rule and reason), a merge's
// per-field decisions, and each changed field before and after (src/store/event-history.ts).
import { api } from './api.js';
import { badge, h, show, time } from './dom.js';

export function historyHref(calendarId, eventId) {
  return `#/calendars/${encodeURIComponent(calendarId)}/events/${encodeURIComponent(eventId)}/history`;
}

export async function historyPage(main, calendarId, eventId) {
  const history = await api.history(calendarId, eventId);
  const versions = [...history.versions].reverse();
  const title = versions.map((v) => v.content?.summary).find((s) => s) ?? `event ${history.eventId}`;
  show(main,
    h('p', {}, h('a', { href: '#/conflicts' }, '← Conflicts')),
    h('h1', {}, `History of ${title}`),
    h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Event id'), h('dd', {}, history.eventId)),
      h('div', {}, h('dt', {}, 'Calendar'), h('dd', {}, history.calendarId)),
      h('div', {}, h('dt', {}, 'Versions'), h('dd', {}, String(versions.length)))),
    versions.length === 0 ? h('p', {}, 'No version is recorded.') : h('div', { class: 'versions' }, versions.map(versionCard)),
    operationsSection(history.operations));
}

/** What passes decided about the event on either side, remote writes included, newest first. */
function operationsSection(operations) {
  return h('section', { 'aria-labelledby': 'operations-heading' },
    h('h2', { id: 'operations-heading' }, 'What passes did with it, on either side'),
    operations.length === 0 ? h('p', {}, 'No pass has written it anywhere.') : h('div', { class: 'scroll' }, h('table', { class: 'operations' },
      h('caption', { class: 'visually-hidden' }, 'Decisions of passes about the event, newest first'),
      h('thead', {}, h('tr', {}, ['When', 'Binding', 'Side', 'Operation', 'Rule', 'Reason', 'Status'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, [...operations].reverse().map((o) => h('tr', { 'data-operation': o.id },
        h('td', {}, time(o.at)), h('td', {}, h('a', { href: `#/bindings/${o.bindingId}` }, o.bindingId)), h('td', {}, o.side),
        h('td', {}, o.operation), h('td', {}, h('code', {}, o.rule)), h('td', {}, o.reason),
        h('td', {}, o.status === 'applied' ? o.status : badge(o.status, o.status === 'failed' ? 'bad' : 'muted'))))))));
}

function versionCard(v) {
  const id = `version-${v.version}-${v.rowId}`;
  return h('section', { class: 'card version', 'data-version': v.version, 'aria-labelledby': id },
    h('h2', { id }, `Version ${v.version}: `, operationBadge(v.operation), v.originalStart ? ` the instance of ${v.originalStart}` : ''),
    h('dl', { class: 'facts' },
      fact('When', time(v.recordedAt)), fact('By', cause(v)), fact('Side', v.side ?? '—'),
      fact('Rule', v.rule ? h('code', { 'data-rule': '' }, v.rule) : '—'), fact('Reason', h('span', { 'data-reason': '' }, v.reason ?? '—'))),
    v.decisions?.length ? decisionsTable(v) : null,
    changesTable(v, id));
}

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

function operationBadge(operation) {
  return badge(operation, { create: 'good', update: 'info', delete: 'bad', restore: 'warn' }[operation] ?? 'muted');
}

function cause(v) {
  if (v.actor === 'app') return 'the app';
  if (v.actor === 'operator') return 'an operator';
  // h() flattens one level of children: the parts stay one list.
  return [
    ...(v.bindingId ? ['a pass of binding ', h('a', { href: `#/bindings/${v.bindingId}` }, v.bindingId)] : [v.actor]),
    v.passId ? h('div', { class: 'sub' }, `pass ${v.passId}`) : null,
  ];
}

function decisionsTable(v) {
  return h('div', { class: 'scroll' }, h('table', { class: 'decisions' },
    h('caption', {}, 'What the merge decided, field by field'),
    h('thead', {}, h('tr', {}, ['Field', 'Took', 'Rule', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, v.decisions.map((d) => h('tr', { 'data-decision': d.field },
      h('th', { scope: 'row' }, h('code', {}, d.field)), h('td', {}, d.took ?? '—'), h('td', {}, d.rule ?? '—'), h('td', {}, d.reason ?? '—'))))));
}

function changesTable(v, id) {
  if (v.changes.length === 0) return h('p', { class: 'help' }, 'No field changed.');
  return h('div', { class: 'scroll' }, h('table', { class: 'changes', 'aria-describedby': id },
    h('caption', {}, v.operation === 'create' ? 'The fields it was created with' : 'The fields that changed'),
    h('thead', {}, h('tr', {}, ['Field', 'Before', 'After'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, v.changes.map((c) => h('tr', { 'data-field': c.field },
      h('th', { scope: 'row' }, h('code', {}, c.field)),
      h('td', { class: 'before' }, shown(c.before, 'del')), h('td', { class: 'after' }, shown(c.after, 'ins')))))));
}

// <del> and <ins>: screen readers say which is which; the colour only repeats it.
function shown(value, tag) {
  return value === null || value === '' ? h('span', { class: 'help' }, value === null ? '(none)' : '(empty)') : h(tag, {}, display(value));
}

/** A value as a person reads it: text as it is, a zoned time as its wall clock, the rest as JSON. */
export function display(value) {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof value.local === 'string') return `${value.local.replace('T', ' ')} ${value.tz ?? '(floating)'}`;
  return JSON.stringify(value);
}
