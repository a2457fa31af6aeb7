// What a CalDAV collection holds against what another client's edits must have left:
// each expected event exactly once, with the expected texts and its first times, rules
// and overrides; no deleted or unknown event; no two events under one summary.
import { listResources, viewOf } from './dav-client.ts';
import type { ExpectedCalendar, Remote } from './edit-rounds.ts';

/** Every way the collection differs from the expected calendar, one line each (none when converged). */
export async function differences(remote: Remote, expected: ExpectedCalendar): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const summaries = new Map<string, string>();
  for (const resource of await listResources(remote.server, remote.collection)) {
    const view = viewOf(resource.data);
    const where = `${remote.side} ${resource.href} (${view.uid})`;
    const twin = seen.get(view.uid);
    if (twin) problems.push(`${where}: UID also at ${twin}`);
    seen.set(view.uid, resource.href);
    const sameSummary = summaries.get(view.summary);
    if (sameSummary) problems.push(`${where}: summary ${JSON.stringify(view.summary)} also at ${sameSummary}`);
    summaries.set(view.summary, resource.href);
    const want = expected.events.get(view.uid);
    if (!want) {
      problems.push(`${where}: no such event was ever written`);
      continue;
    }
    if (!want.alive) {
      problems.push(`${where}: deleted, yet present`);
      continue;
    }
    for (const field of ['summary', 'description', 'location'] as const) {
      if (view[field] !== want[field]) {
        problems.push(`${where}: ${field} ${JSON.stringify(view[field].slice(0, 80))}, expected ${JSON.stringify(want[field].slice(0, 80))} (owned by ${want.owners[field]})`);
      }
    }
    if (view.shape !== want.shape) problems.push(`${where}: times ${view.shape}, expected ${want.shape}`);
  }
  for (const event of expected.alive()) if (!seen.has(event.uid)) problems.push(`${remote.side}: ${event.uid} missing`);
  return problems;
}
