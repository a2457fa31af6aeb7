// What an operator decides about a binding beyond pause and resume: a pass the brakes
// stopped (confirm or dismiss), the merge policy, and unbinding.
import { ApiError, api } from './api.js';
import { badge, h, jsonField, notice, show } from './dom.js';
import { historyHref } from './history.js';

export const failure = (error) => notice(`${error.message}${error.hint ? ` ${error.hint}` : ''}`, 'alert');

/** The binding's stopped pass with what it would delete, or null when it has none. */
export async function stoppedPassOf(id) {
  try {
    return await api.stoppedPass(id);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'PASS_NOT_STOPPED') return null;
    throw error;
  }
}

/** `act(work, done)` runs the work, draws the page again and says `done`, or shows the error. */
export function stoppedPassSection(id, stopped, act) {
  if (!stopped) return null;
  const what = stopped.kind === 'wipe'
    ? `The ${stopped.side} listed nothing where ${stopped.known} items were agreed on, so the pass stopped instead of deleting them everywhere.`
    : `The pass would delete ${stopped.deletes} items, more than the ${stopped.limit} allowed without confirmation.`;
  return h('section', { class: 'card stopped', 'aria-labelledby': 'stopped-heading' },
    h('h2', { id: 'stopped-heading' }, 'A pass is stopped: ', badge(stopped.kind, 'warn')),
    h('p', {}, what), h('p', { class: 'sub' }, stopped.message),
    h('p', {}, `${stopped.deletions} deletion${stopped.deletions === 1 ? '' : 's'} wait for a decision${stopped.items.length < stopped.deletions ? `; the first ${stopped.items.length} are listed` : ''}.`),
    stopped.items.length === 0 ? null : h('div', { class: 'scroll' }, h('table', {},
      h('caption', { class: 'visually-hidden' }, 'What the stopped pass would delete'),
      h('thead', {}, h('tr', {}, ['Event', 'Deleted on', 'Rule'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, stopped.items.map((d) => h('tr', {},
        h('td', {}, d.eventId ? h('a', { href: historyHref(stopped.calendarId, d.eventId), title: 'Why it changed: its history' }, d.summary || d.eventId) : d.summary || d.remoteId),
        h('td', {}, d.side), h('td', {}, h('code', {}, d.rule))))))),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => act(() => api.confirmStopped(id, stopped.passId), 'Confirmed: a pass is queued that carries the deletions out; the stop is shown until it has run.') }, 'Confirm the deletions'),
      h('button', { type: 'button', class: 'secondary', onclick: () => act(() => api.dismissStopped(id, stopped.passId), 'Dismissed: nothing is deleted, and the side that lost the items gets them back.') }, 'Dismiss: keep everything')));
}

export function policyForm(binding, act) {
  const input = h('textarea', { id: 'policy', name: 'policy', rows: 6, spellcheck: 'false', 'aria-describedby': 'policy-help policy-error' }, JSON.stringify(binding.conflictPolicy, null, 2));
  const error = h('div', { id: 'policy-error' });
  const form = h('form', { class: 'write', onsubmit: (event) => {
    event.preventDefault();
    error.replaceChildren();
    const policy = jsonField(input, error);
    if (!policy) return;
    act(() => api.changeBinding(binding.id, { policy: policy.value }), 'The merge policy is changed; the next pass merges with it.', error);
  } },
  h('label', { for: 'policy' }, 'Policy as JSON'), input,
  h('p', { id: 'policy-help', class: 'help' }, 'A mode name (', h('code', {}, '"manual"'), ') or ', h('code', {}, '{"mode", "fields", "editVsDelete"}'),
    '. Modes: default, manual, calendar-wins, remote-wins; field rules: latest, ask, calendar, remote.'),
  error,
  h('button', { type: 'submit' }, 'Save the policy'));
  return h('section', { 'aria-labelledby': 'policy-heading' }, h('h2', { id: 'policy-heading' }, 'Merge policy'), form);
}

/** Unbinding, once the operator has typed the remote calendar's name. */
export function unbindForm(main, binding) {
  const name = binding.remoteName || binding.remoteCalendarId;
  const error = h('div', { id: 'unbind-error', 'aria-live': 'polite' });
  const typed = h('input', { id: 'unbind-confirm', name: 'confirm', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'unbind-help unbind-error' });
  const copies = (value, label, disabled) => h('div', {},
    h('input', { type: 'radio', name: 'remoteCopies', id: `copies-${value}`, value, checked: value === 'keep', disabled }),
    h('label', { for: `copies-${value}` }, label));
  const form = h('form', { class: 'write', onsubmit: async (event) => {
    event.preventDefault();
    error.replaceChildren();
    if (typed.value.trim() !== name) {
      typed.setAttribute('aria-invalid', 'true');
      error.replaceChildren(notice(`Type ${name} exactly to unbind; nothing was changed.`, 'alert'));
      typed.focus();
      return;
    }
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const remoteCopies = form.querySelector('input[name=remoteCopies]:checked').value;
      const result = await api.unbind(binding.id, remoteCopies);
      show(main, h('p', {}, h('a', { href: '#/health' }, '← Health')), h('h1', {}, `Unbound ${name}`), notice(result.removed
        ? `The binding is removed; the calendar and its events stay${remoteCopies === 'keep' ? ', and so do the remote copies' : ''}.`
        : `The binding is paused and being removed; a job ${remoteCopies === 'delete' ? 'deletes the remote copies calsync made and ' : ''}finishes the work.`));
    } catch (e) {
      button.disabled = false;
      error.replaceChildren(failure(e));
    }
  } },
  h('fieldset', {}, h('legend', {}, 'The remote copies calsync made'),
    copies('keep', 'Keep them on the remote calendar'),
    copies('delete', 'Delete them (one changed on the remote since is kept)', binding.direction === 'import')),
  h('label', { for: 'unbind-confirm' }, `Type ${name} to confirm`), typed,
  h('p', { id: 'unbind-help', class: 'help' }, 'The calendar and its events stay in calsync; this binding, its passes and its push channel go.'),
  error,
  h('button', { type: 'submit', class: 'danger' }, 'Unbind'));
  return h('section', { 'aria-labelledby': 'unbind-heading' }, h('h2', { id: 'unbind-heading' }, 'Unbind'), form);
}
