// A binding's passes while one runs: the newest page of passes is asked for again every
// two seconds and its rows are replaced in place, until no pass runs or the page is left.
import { api } from './api.js';

const everyMs = 2000;

export const isRunning = (p) => p.finishedAt === null && p.outcome === null;

/** Keeps `rows` (a tbody of `passRow(p)` rows keyed by data-pass) current while a pass runs. */
export function followPasses(id, rows, passRow, passes) {
  if (!passes.some(isRunning)) return;
  let timer = null;
  const stop = () => {
    clearTimeout(timer);
    window.removeEventListener('hashchange', stop);
  };
  const tick = async () => {
    if (!rows.isConnected) return stop();
    let page;
    try {
      page = await api.passes(id);
    } catch {
      // A failed poll (the server restarting, the binding unbound) tries again next time.
      timer = setTimeout(tick, everyMs);
      return;
    }
    if (!rows.isConnected) return stop();
    for (const p of [...page.items].reverse()) {
      const row = rows.querySelector(`tr[data-pass="${p.id}"]`);
      if (row) row.replaceWith(passRow(p));
      else if (new Date(p.startedAt) >= new Date(rows.firstElementChild?.dataset.started ?? 0)) rows.prepend(passRow(p));
    }
    if (page.items.some(isRunning)) timer = setTimeout(tick, everyMs);
    else stop();
  };
  window.addEventListener('hashchange', stop);
  timer = setTimeout(tick, everyMs);
}
