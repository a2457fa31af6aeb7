// A binding's page: what it is, pause / resume / sync now, a stopped pass to confirm or
// dismiss, its passes newest first (a running one followed live), its merge policy, unbind.
import { api } from './api.js';
import { failure, policyForm, stoppedPassOf, stoppedPassSection, unbindForm } from './binding-actions.js';
import { followPasses, isRunning } from './binding-progress.js';
import { h, notice, outcomeBadge, show, stateBadge, time } from './dom.js';
import { errorText } from './health.js';

export async function bindingPage(main, id) {
  const [binding, passes] = await Promise.all([api.binding(id), api.passes(id)]);
  // A stop stands from a stopped pass until a pass ends otherwise (a failed one leaves it) or it is dismissed.
  const lastSettled = passes.items.find((p) => p.outcome !== null && p.outcome !== 'failed');
  const stopped = lastSettled?.outcome === 'stopped' ? await stoppedPassOf(id) : null;
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  // An error shows where the operator acted (`where`), the page's status otherwise.
  const act = async (work, done, where = status) => {
    try {
      await work();
      await bindingPage(main, id);
      main.querySelector('.status').replaceChildren(notice(done));
    } catch (error) {
      where.replaceChildren(failure(error));
    }
  };

  const reason = h('input', { id: 'pause-reason', name: 'reason', required: true, maxlength: 500, 'aria-describedby': 'pause-help' });
  const controls = binding.state === 'paused'
    ? h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => act(() => api.resume(id), 'Resumed; a pass is queued.') }, 'Resume'))
    : h('div', { class: 'actions' },
      h('form', { class: 'inline', onsubmit: (event) => { event.preventDefault(); act(() => api.pause(id, reason.value.trim()), 'Paused.'); } },
        h('label', { for: 'pause-reason' }, 'Reason for pausing'), reason,
        h('span', { id: 'pause-help', class: 'help' }, 'Kept in the audit trail.'),
        h('button', { type: 'submit' }, 'Pause')),
      h('button', { type: 'button', onclick: () => act(() => api.syncNow(id), 'A pass is queued.') }, 'Sync now'),
      h('a', { href: `#/conflicts?binding=${id}` }, 'Open conflicts of this binding'));

  const rows = h('tbody', {}, passes.items.map(passRow));
  let next = passes.nextPageToken;
  const older = h('button', { type: 'button', hidden: !next, onclick: async () => {
    const page = await api.passes(id, next);
    rows.append(...page.items.map(passRow));
    next = page.nextPageToken;
    older.hidden = !next;
  } }, 'Show older passes');

  show(main,
    h('p', {}, h('a', { href: '#/health' }, '← Health')),
    h('h1', {}, `Binding ${binding.remoteName || binding.remoteCalendarId}`),
    h('dl', { class: 'facts' },
      fact('State', [stateBadge(binding.state), binding.pausedReason ? ` ${binding.pausedReason}` : '']),
      fact('Direction', binding.direction), fact('Remote calendar', binding.remoteCalendarId),
      fact('Calendar', binding.calendarId), fact('Account', binding.accountId),
      fact('Polled every', `${binding.pollIntervalSeconds} s`), fact('Binding id', binding.id)),
    controls,
    status,
    stoppedPassSection(id, stopped, act),
    h('section', { 'aria-labelledby': 'passes-heading' },
      h('h2', { id: 'passes-heading' }, 'Passes'),
      passes.items.length === 0 ? h('p', {}, 'No pass has run yet.') : h('div', { class: 'scroll' }, h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Passes, newest first'),
        h('thead', {}, h('tr', {}, ['Started', 'Trigger', 'Outcome', 'Took', 'Changes', 'Error and what to do'].map((c) => h('th', { scope: 'col' }, c)))),
        rows)),
      older),
    policyForm(binding, act),
    unbindForm(main, binding));
  followPasses(id, rows, passRow, passes.items);
}

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

function passRow(p) {
  const running = isRunning(p);
  const seconds = (end) => ((end - new Date(p.startedAt)) / 1000).toFixed(1);
  const took = p.finishedAt ? `${seconds(new Date(p.finishedAt))} s` : running ? `${seconds(new Date())} s so far` : '—';
  const changes = Object.entries(p.stats ?? {}).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || (running ? 'none yet' : 'none');
  return h('tr', { 'data-pass': p.id, 'data-started': p.startedAt },
    h('td', {}, time(p.startedAt)), h('td', {}, p.trigger), h('td', {}, outcomeBadge(p.outcome, running)),
    h('td', {}, took), h('td', {}, changes), h('td', { class: 'error' }, p.error ? errorText(p.error) : '—'));
}
