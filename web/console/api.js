// The console's only way to data: the admin API, with the admin key the operator signed in
// with. The key stays in this tab's sessionStorage: gone when the tab closes.
const storageKey = 'calsync.adminKey';

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error.calsync?.code ?? null;
    this.hint = error.calsync?.hint ?? null;
  }
}

export function storedKey() {
  return sessionStorage.getItem(storageKey);
}

export function forgetKey() {
  sessionStorage.removeItem(storageKey);
}

/** Tries the key on the admin API; keeps it only if it is an admin key of a tenant. */
export async function signIn(key) {
  await call('GET', '/admin/v1/health?maxResults=1', undefined, key);
  sessionStorage.setItem(storageKey, key);
}

export async function call(method, path, body, key = storedKey()) {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${key ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const api = {
  health: ({ attention, pageToken } = {}) => call('GET', `/admin/v1/health?${new URLSearchParams({ ...(attention ? { attention: 'true' } : {}), ...(pageToken ? { pageToken } : {}) })}`),
  binding: (id) => call('GET', `/admin/v1/bindings/${encodeURIComponent(id)}`),
  passes: (id, pageToken) => call('GET', `/admin/v1/bindings/${encodeURIComponent(id)}/passes${pageToken ? `?pageToken=${encodeURIComponent(pageToken)}` : ''}`),
  pause: (id, reason) => call('POST', `/admin/v1/bindings/${encodeURIComponent(id)}/pause`, { reason }),
  resume: (id) => call('POST', `/admin/v1/bindings/${encodeURIComponent(id)}/resume`, {}),
  conflicts: ({ bindingId, pageToken } = {}) => call('GET', `/admin/v1/conflicts?${new URLSearchParams({ state: 'open', ...(bindingId ? { bindingId } : {}), ...(pageToken ? { pageToken } : {}) })}`),
  conflict: (id) => call('GET', `/admin/v1/conflicts/${encodeURIComponent(id)}`),
  resolve: (id, choice) => call('POST', `/admin/v1/conflicts/${encodeURIComponent(id)}/resolve`, choice),
  charts: (hours) => call('GET', `/admin/v1/charts?hours=${encodeURIComponent(hours)}`),
  quarantine: (pageToken) => call('GET', `/admin/v1/quarantine${pageToken ? `?pageToken=${encodeURIComponent(pageToken)}` : ''}`),
  rawItem: (bindingId, remoteId) => call('GET', `/admin/v1/quarantine?${new URLSearchParams({ bindingId, kind: 'remote', remoteId, raw: 'true' })}`),
  retryQuarantined: (bindingId, remoteId) => call('POST', `/admin/v1/bindings/${encodeURIComponent(bindingId)}/quarantine/retry`, { remoteIds: [remoteId] }),
  liftQuarantined: (bindingId, kind, remoteId) => call('POST', `/admin/v1/bindings/${encodeURIComponent(bindingId)}/quarantine/lift`, { kind, remoteIds: [remoteId] }),
  deadJobs: (pageToken) => call('GET', `/admin/v1/dead-jobs${pageToken ? `?pageToken=${encodeURIComponent(pageToken)}` : ''}`),
  replayJob: (id) => call('POST', `/admin/v1/dead-jobs/${encodeURIComponent(id)}/replay`, {}),
  syncNow: (id) => call('POST', `/admin/v1/bindings/${encodeURIComponent(id)}/sync`, {}),
  changeBinding: (id, change) => call('PATCH', `/admin/v1/bindings/${encodeURIComponent(id)}`, change),
  unbind: (id, remoteCopies, note) => call('POST', `/admin/v1/bindings/${encodeURIComponent(id)}/unbind`, { remoteCopies, ...(note ? { note } : {}) }),
  stoppedPass: (id) => call('GET', `/admin/v1/bindings/${encodeURIComponent(id)}/stopped-pass`),
  confirmStopped: (id, passId) => call('POST', `/admin/v1/bindings/${encodeURIComponent(id)}/stopped-pass/confirm`, { passId }),
  dismissStopped: (id, passId) => call('POST', `/admin/v1/bindings/${encodeURIComponent(id)}/stopped-pass/dismiss`, { passId }),
  history: (calendarId, eventId) => call('GET', `/admin/v1/calendars/${encodeURIComponent(calendarId)}/events/${encodeURIComponent(eventId)}/history`),
};
