// The health page: the numbers on top (propagation of the last hour among them), every
// account, and every binding with its provider, state, last pass and outcome, lag, next
// poll, push subscription and last error with what to do.
import { api } from './api.js';
import { badge, h, outcomeBadge, show, stateBadge, time } from './dom.js';

const tiles = [
  ['inSync', 'Bindings in sync', 'good'], ['failing', 'Failing', 'bad'], ['paused', 'Paused', 'warn'], ['waiting', 'Waiting for a first pass', 'muted'],
  ['conflictsOpen', 'Conflicts open', 'warn'], ['quarantined', 'Items quarantined', 'warn'], ['deadJobs', 'Dead jobs', 'bad'],
];

export async function healthPage(main, { attention }) {
  const health = await api.health({ attention });
  const rows = h('tbody', {});
  const more = h('button', { type: 'button', hidden: !health.nextPageToken }, 'Show more bindings');
  let next = health.nextPageToken;
  const add = (bindings) => rows.append(...bindings.map(bindingRow));
  add(health.bindings);
  more.addEventListener('click', async () => {
    const page = await api.health({ attention, pageToken: next });
    add(page.bindings);
    next = page.nextPageToken;
    more.hidden = !next;
  });

  const filter = h('input', { type: 'checkbox', id: 'attention', checked: attention, onchange: (event) => {
    location.hash = event.target.checked ? '#/health?attention=1' : '#/health';
  } });

  show(main,
    h('h1', {}, 'Sync health'),
    h('section', { 'aria-labelledby': 'numbers' },
      h('h2', { id: 'numbers', class: 'visually-hidden' }, 'Numbers'),
      h('dl', { class: 'tiles' }, tiles.map(([key, label, tone]) => h('div', { class: `tile ${health.counts[key] > 0 ? tone : 'muted'}` },
        h('dt', {}, label), h('dd', { 'data-count': key }, tileLink(key, health.counts[key])))),
        propagationTile(health.propagation)),
      h('p', { class: 'help' }, `${health.counts.bindings} bindings in all.`)),
    h('section', { 'aria-labelledby': 'bindings-heading' },
      h('div', { class: 'row' },
        h('h2', { id: 'bindings-heading' }, 'Bindings'),
        h('p', { class: 'filter' }, filter, h('label', { for: 'attention' }, 'Only those that need attention'))),
      health.bindings.length === 0
        ? h('p', {}, attention ? 'Nothing needs attention.' : 'No bindings yet: connect an account and bind a calendar (calsync connect, calsync bind).')
        : h('div', { class: 'scroll' }, h('table', {},
          h('caption', { class: 'visually-hidden' }, attention ? 'Bindings that need attention' : 'All bindings'),
          h('thead', {}, h('tr', {}, ['Binding (calendar ⇄ remote)', 'Provider', 'State', 'Last pass', 'Lag (remote behind)', 'Next poll', 'Push', 'Last error and what to do', 'Open items'].map((c) => h('th', { scope: 'col' }, c)))),
          rows)),
      more),
    h('section', { 'aria-labelledby': 'accounts-heading' },
      h('h2', { id: 'accounts-heading' }, 'Accounts'),
      health.accounts.length === 0 ? h('p', {}, 'No accounts connected.') : h('div', { class: 'scroll' }, h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Accounts'),
        h('thead', {}, h('tr', {}, ['Provider', 'Account', 'State', 'Why'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, health.accounts.map((a) => h('tr', {},
          h('td', {}, a.provider), h('td', {}, a.displayName || a.login || a.serverUrl || a.id),
          h('td', {}, stateBadge(a.state)), h('td', {}, a.stateReason ?? ''))))))));
}

// The numbers that lead to the page where they are settled.
const settledOn = {
  conflictsOpen: ['#/conflicts', (n) => `${n} conflicts open: settle them`],
  quarantined: ['#/quarantine', (n) => `${n} items quarantined: retry or lift them`],
  deadJobs: ['#/quarantine', (n) => `${n} dead jobs: replay them`],
};

function tileLink(key, count) {
  const [href, label] = settledOn[key] ?? [];
  return href ? h('a', { href, 'aria-label': label(count) }, String(count)) : String(count);
}

function bindingRow(b) {
  return h('tr', { 'data-binding': b.id, class: b.needsAttention ? 'attention' : null },
    h('th', { scope: 'row' }, h('a', { href: `#/bindings/${b.id}` }, `${b.calendar} ⇄ ${b.remoteName || b.remoteCalendarId}`), h('div', { class: 'sub' }, b.direction.replace('_', '-'))),
    h('td', {}, b.provider, h('div', { class: 'sub' }, b.account)),
    h('td', {}, stateBadge(b.state), b.pausedReason ? h('div', { class: 'sub' }, b.pausedReason) : null),
    h('td', {}, outcomeBadge(b.lastOutcome, b.running), h('div', { class: 'sub' }, time(b.lastPassAt, 'never'))),
    h('td', { 'data-lag': b.lag ? b.lag.changes : 'none' }, lagText(b.lag)),
    h('td', {}, b.state !== 'active' ? 'paused' : nextPoll(b.nextPollAt)),
    h('td', { 'data-push': b.push.state }, pushText(b.push)),
    h('td', { class: 'error' }, b.lastError ? errorText(b.lastError) : '—'),
    h('td', {}, counts(b)));
}

// Two figures and the number of writes they come from, as one tile.
function propagationTile(p) {
  return h('div', { class: 'tile muted' },
    h('dt', {}, `Propagation p50 / p99, last ${p.windowMinutes} min`),
    h('dd', { 'data-count': 'propagation', class: 'figures' }, p.writes === 0 ? '—' : `${p.p50Ms} ms / ${p.p99Ms} ms`),
    h('dd', { class: 'sub' }, `${p.writes} write${p.writes === 1 ? '' : 's'} to remotes`));
}

function lagText(lag) {
  if (!lag) return h('span', { class: 'sub' }, 'import only: sends nothing');
  if (lag.changes === 0) return badge('up to date', 'good');
  return [badge(`${lag.changes} change${lag.changes === 1 ? '' : 's'} behind`, 'warn'),
    lag.oldestChangeAt ? h('div', { class: 'sub' }, 'oldest ', time(lag.oldestChangeAt)) : null];
}

const pushTone = { live: 'good', unconfirmed: 'info', pending: 'info', failing: 'bad', expired: 'bad', none: 'muted' };

function pushText(push) {
  if (push.state === 'none') return h('span', { class: 'sub' }, 'none: polled');
  return [badge(push.state, pushTone[push.state]),
    push.expiresAt ? h('div', { class: 'sub' }, push.state === 'expired' ? 'expired ' : 'expires ', time(push.expiresAt)) : null,
    push.error ? h('p', { class: 'message' }, push.error) : null,
    push.retryAt ? h('div', { class: 'sub' }, 'retried ', time(push.retryAt)) : null,
    push.hint ? h('p', { class: 'hint' }, h('strong', {}, 'What to do: '), push.hint) : null];
}

function nextPoll(iso) {
  if (!iso) return 'when a change arrives';
  // Past: the pass is queued and waits for a worker.
  return new Date(iso) <= new Date() ? [badge('due', 'info'), h('div', { class: 'sub' }, time(iso))] : time(iso);
}

export function errorText(error) {
  return [h('p', { class: 'message' }, error.message), h('p', { class: 'hint' }, h('strong', {}, 'What to do: '), error.hint), h('div', { class: 'sub' }, `${error.kind} · ${error.code}`)];
}

function counts(b) {
  const parts = [];
  if (b.conflictsOpen > 0) parts.push(h('a', { href: `#/conflicts?binding=${b.id}` }, badge(`${b.conflictsOpen} conflict${b.conflictsOpen === 1 ? '' : 's'}`, 'warn')));
  if (b.quarantined > 0) parts.push(h('a', { href: '#/quarantine' }, badge(`${b.quarantined} quarantined`, 'warn')));
  return parts.length > 0 ? parts : '—';
}
