// The console's shell: sign-in, the hash router (#/health, #/bindings/ID, #/conflicts,
// #/conflicts/ID, #/quarantine, #/charts, #/calendars/CID/events/EID/history) and sign-out.
// A key the admin API refuses (401, or 403 without the admin scope) sees nothing but why.
import { ApiError, forgetKey, signIn, storedKey } from './api.js';
import { bindingPage } from './binding.js';
import { chartsPage } from './charts.js';
import { conflictPage, conflictsPage } from './conflicts.js';
import { h, notice, show } from './dom.js';
import { healthPage } from './health.js';
import { historyPage } from './history.js';
import { quarantinePage } from './quarantine.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');

function signInPage(message) {
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'key-help' });
  const form = h('form', { class: 'card sign-in', onsubmit: async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await signIn(input.value.trim());
      location.hash = '#/health';
      await route();
    } catch (error) {
      signInPage(refusal(error));
    }
  } },
  h('label', { for: 'key' }, 'Admin API key'),
  input,
  h('p', { id: 'key-help', class: 'help' }, 'A key with the admin scope, made with ', h('code', {}, 'calsync apikey create --tenant ID --scope admin'),
    '. It is kept in this tab only, until the tab is closed or you sign out.'),
  h('button', { type: 'submit' }, 'Sign in'));
  nav.hidden = true;
  show(main, h('h1', {}, 'Sign in'), message ? notice(message, 'alert') : null, form);
  if (message) input.focus();
}

function refusal(error) {
  if (error instanceof ApiError && error.status === 401) return 'That key was not accepted: it is unknown, revoked or mistyped. Paste the whole key, starting with csk_.';
  if (error instanceof ApiError && error.code === 'API_KEY_SCOPE_MISSING') return 'That key has no admin scope, so it cannot open the console. Use a key made with --scope admin.';
  return `The console could not reach calsync: ${error.message}`;
}

async function route() {
  if (!storedKey()) return signInPage();
  nav.hidden = false;
  const [, page, id, sub, subId, view] = (location.hash || '#/health').split('?')[0].split('/');
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  try {
    if (page === 'calendars' && id && sub === 'events' && subId && view === 'history') await historyPage(main, decodeURIComponent(id), decodeURIComponent(subId));
    else if (page === 'bindings' && id) await bindingPage(main, decodeURIComponent(id));
    else if (page === 'conflicts' && id) await conflictPage(main, decodeURIComponent(id));
    else if (page === 'conflicts') await conflictsPage(main, { bindingId: query.get('binding') ?? undefined });
    else if (page === 'charts') await chartsPage(main, { hours: [24, 72, 168].includes(Number(query.get('hours'))) ? Number(query.get('hours')) : 24 });
    else if (page === 'quarantine') await quarantinePage(main);
    else await healthPage(main, { attention: query.get('attention') === '1' });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      forgetKey();
      return signInPage(refusal(error));
    }
    show(main, h('h1', {}, 'Something went wrong'), notice(`${error.message}${error.hint ? ` ${error.hint}` : ''}`, 'alert'));
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  forgetKey();
  location.hash = '';
  signInPage('Signed out.');
});
window.addEventListener('hashchange', route);
route();
