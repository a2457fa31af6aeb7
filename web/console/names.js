// Bindings named as an operator knows them (the remote calendar's name), looked up once a page.
import { api } from './api.js';
import { h } from './dom.js';

/** Binding id → its calendar's id, for links to an event's history; a binding keeps its calendar. */
export const calendarOf = new Map();

/** Looks up the name of each binding the items name that `names` does not hold yet. */
export async function withNames(items, names) {
  const missing = [...new Set(items.map((item) => item.bindingId))].filter((id) => !names.has(id));
  await Promise.all(missing.map(async (id) => {
    // A binding removed since keeps its id as its name.
    const binding = await api.binding(id).catch(() => null);
    names.set(id, binding ? binding.remoteName || binding.remoteCalendarId : id);
    if (binding) calendarOf.set(id, binding.calendarId);
  }));
  return items;
}

export function bindingLink(id, names) {
  return [h('a', { href: `#/bindings/${id}` }, names.get(id) ?? id), h('div', { class: 'sub' }, id)];
}
