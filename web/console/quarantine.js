// Quarantine and dead jobs: items a binding could not take in (remote) or holds for a person
// (held), with the reason and, on demand, the raw item as the provider sent it, to retry or
// lift; and the queue's jobs that used up their attempts, with payload and last error, to
// replay (src/store/quarantine-review.ts, src/store/dead-jobs.ts).
import { api } from './api.js';
import { badge, h, notice, show, time } from './dom.js';
import { bindingLink, withNames } from './names.js';

// Row ids, so each row's buttons are described by the item they act on.
let rowCount = 0;

export async function quarantinePage(main) {
  const [quarantined, dead] = await Promise.all([api.quarantine(), api.deadJobs()]);
  const names = new Map();
  await withNames(quarantined.items, names);
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const say = (text, kind) => status.replaceChildren(notice(text, kind));
  const failed = (error) => say(`${error.message}${error.hint ? ` ${error.hint}` : ''}`, 'alert');
  const ctx = { names, say, failed };
  show(main,
    h('p', {}, h('a', { href: '#/health' }, '← Health')),
    h('h1', {}, 'Quarantine and dead jobs'),
    status,
    h('section', { 'aria-labelledby': 'quarantine-heading' },
      h('h2', { id: 'quarantine-heading' }, 'Quarantined items'),
      h('p', { class: 'help' }, 'Retry reads a remote item again in the next pass (after a fix); Lift dismisses it until a new version of it comes, or releases a held item to the next pass.'),
      listing(quarantined, async (token) => {
        const page = await api.quarantine(token);
        await withNames(page.items, names);
        return page;
      },
        ['Item', 'Kind', 'Binding', 'Reason', 'Since', 'Actions'], (item) => quarantineRow(item, ctx), 'No item is quarantined.', 'Show more items')),
    h('section', { 'aria-labelledby': 'dead-heading' },
      h('h2', { id: 'dead-heading' }, 'Dead jobs'),
      h('p', { class: 'help' }, 'Queue jobs that used up their attempts. Replay runs one again now, from its first attempt.'),
      listing(dead, (token) => api.deadJobs(token), ['Job', 'Payload', 'Attempts', 'Last error', 'Failed', 'Actions'], (job) => deadJobRow(job, ctx),
        'No job is dead.', 'Show more jobs')));
}

/** A table of the first page, and a button that adds the next ones. */
function listing(first, load, columns, row, empty, moreLabel) {
  if (first.items.length === 0) return h('p', {}, empty);
  const rows = h('tbody', {}, first.items.map(row));
  let next = first.nextPageToken;
  const more = h('button', { type: 'button', hidden: !next, onclick: async () => {
    const page = await load(next);
    rows.append(...page.items.map(row));
    next = page.nextPageToken;
    more.hidden = !next;
  } }, moreLabel);
  return [h('div', { class: 'scroll', 'data-empty': empty }, h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))), rows)), more];
}

/** Runs an action from a row's button: the button waits, the outcome is said in the status region. */
async function act(button, work, ctx) {
  button.disabled = true;
  try {
    await work();
  } catch (error) {
    ctx.failed(error);
  } finally {
    button.disabled = false;
  }
}

/** Takes a settled row away; focus goes to its section's heading, not lost with the button. */
function removeRow(tr) {
  const table = tr.closest('.scroll');
  const heading = tr.closest('section').querySelector('h2');
  tr.remove();
  if (!table.querySelector('tbody tr')) table.replaceWith(h('p', {}, table.dataset.empty));
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

function quarantineRow(item, ctx) {
  const id = `row-${++rowCount}`;
  const binding = ctx.names.get(item.bindingId) ?? item.bindingId;
  const what = item.summary ? `${item.summary} (${item.remoteId})` : item.remoteId;
  const since = h('td', {}, time(item.since), item.retryRequestedAt ? h('div', { class: 'sub' }, badge('retry asked', 'info')) : null);
  const button = (label, work) => h('button', { type: 'button', 'aria-describedby': id, onclick: (event) => act(event.currentTarget, work, ctx) }, label);
  const retry = button('Retry', async () => {
    await api.retryQuarantined(item.bindingId, item.remoteId);
    if (!since.querySelector('.badge')) since.append(h('div', { class: 'sub' }, badge('retry asked', 'info')));
    ctx.say(`Retry queued: the next pass of ${binding} reads ${item.remoteId} again.`);
  });
  const lift = button('Lift', async () => {
    await api.liftQuarantined(item.bindingId, item.kind, item.remoteId);
    removeRow(tr);
    ctx.say(item.kind === 'remote'
      ? `Lifted: ${item.remoteId} is dismissed on ${binding} until a new version of it comes.`
      : `Lifted: the hold on ${what} is released; the next pass of ${binding} takes it again.`);
  });
  const actions = item.kind === 'remote' ? [retry, lift]
    // Lifting it would be refused (HELD_FOR_CONFLICT): the conflict settles it.
    : item.conflictId ? [h('a', { href: `#/conflicts/${item.conflictId}` }, 'Settle its conflict')] : [lift];
  const tr = h('tr', { 'data-remote-id': item.remoteId, 'data-kind': item.kind },
    h('th', { scope: 'row', id, class: 'item' }, item.summary ? [item.summary, h('div', { class: 'sub' }, h('code', {}, item.remoteId))] : h('code', {}, item.remoteId)),
    h('td', {}, badge(item.kind === 'remote' ? 'unreadable' : 'held', item.kind === 'remote' ? 'bad' : 'warn')),
    h('td', {}, bindingLink(item.bindingId, ctx.names)),
    h('td', { class: 'reason' }, h('p', { class: 'message' }, item.reason), item.kind === 'remote' ? rawDisclosure(item) : stored(item.error)),
    since,
    h('td', {}, h('div', { class: 'inline' }, actions)));
  return tr;
}

/** The raw item, loaded when the disclosure is first opened (it can be up to 64 KiB). */
function rawDisclosure(item) {
  const body = h('pre', {}, 'Loading…');
  let loaded = false;
  return h('details', { ontoggle: async (event) => {
    if (!event.currentTarget.open || loaded) return;
    loaded = true;
    try {
      const [found] = (await api.rawItem(item.bindingId, item.remoteId)).items;
      body.textContent = found?.raw ?? '(the payload was not kept)';
    } catch (error) {
      loaded = false;
      body.replaceWith(notice(`The raw item could not be loaded: ${error.message}`, 'alert'));
    }
  } }, h('summary', {}, 'Raw item'), body);
}

function stored(error) {
  if (error === null || error === undefined) return null;
  return h('details', {}, h('summary', {}, 'What was stored'), h('pre', {}, JSON.stringify(error, null, 2)));
}

function deadJobRow(job, ctx) {
  const id = `row-${++rowCount}`;
  const tr = h('tr', { 'data-job': job.id },
    h('th', { scope: 'row', id }, h('code', {}, job.task), h('div', { class: 'sub' }, `job ${job.id}`)),
    h('td', { class: 'payload' }, h('pre', {}, JSON.stringify(job.payload, null, 2))),
    h('td', {}, `${job.attempts} of ${job.maxAttempts}`),
    h('td', { class: 'error' }, h('p', { class: 'message' }, job.lastError ?? '—')),
    h('td', {}, time(job.failedAt)),
    h('td', {}, h('button', { type: 'button', 'aria-describedby': id, onclick: (event) => act(event.currentTarget, async () => {
      await api.replayJob(job.id);
      removeRow(tr);
      ctx.say(`Replayed job ${job.id} (${job.task}): it runs again now, from its first attempt.`);
    }, ctx) }, 'Replay')));
  return tr;
}
