// Builds elements from data without ever parsing it as HTML: text goes in as text.

/** h('a', {href: '#/x'}, 'text', child…): attributes starting with `on` are listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A time as the reader's clock shows it, machine-readable in `datetime`. */
export function time(iso, fallback = '—') {
  if (!iso) return fallback;
  const date = new Date(iso);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, `${date.toLocaleString()} (${relative(date)})`);
}

function relative(date) {
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [Infinity, 'day']];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(value, unit);
    value = Math.round(value / size);
  }
  return '';
}

/** A state in words and a colour class: the colour never carries the meaning alone. */
export function badge(text, tone) {
  return h('span', { class: `badge ${tone}` }, text);
}

export function outcomeBadge(outcome, running) {
  if (running) return badge('running', 'info');
  if (outcome === null || outcome === undefined) return badge('no pass yet', 'muted');
  const tone = { ok: 'good', partial: 'warn', stopped: 'warn', failed: 'bad' }[outcome] ?? 'muted';
  return badge(outcome, tone);
}

export function stateBadge(state) {
  return badge(state, { active: 'good', paused: 'warn', error: 'bad', revoked: 'bad' }[state] ?? 'muted');
}

/** Replaces the page's content and moves focus to its heading, so screen readers hear the new page. */
export function show(main, ...children) {
  // replaceChildren would write a skipped (null) part as the text "null".
  main.replaceChildren(...children.filter((child) => child !== null && child !== undefined && child !== false));
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

/** A message in a live region: `alert` for errors, `status` for the rest. */
export function notice(text, kind = 'status') {
  return h('p', { class: `notice ${kind === 'alert' ? 'bad' : 'good'}`, role: kind }, text);
}

/** A form field's JSON as { value }; when it is none, the field is marked, `error` says nothing was sent, and null. */
export function jsonField(input, error) {
  try {
    const value = JSON.parse(input.value);
    input.removeAttribute('aria-invalid');
    return { value };
  } catch (e) {
    input.setAttribute('aria-invalid', 'true');
    error.replaceChildren(notice(`That is not valid JSON, so nothing was sent: ${e.message}`, 'alert'));
    input.focus();
    return null;
  }
}
