// The connector contract against the Microsoft Graph emulator with faults: throttling
// with fractional Retry-After, outages, lost answers, a repeated delta page and a
// duplicated item, on a mailbox that refuses a fifth request in flight. The connector
// retries, never takes a lost answer for a failure of the write, and keeps four
// requests in flight.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { registerConnectorContract } from './contract.ts';
import { timedEvent } from '../helpers/microsoft-emulator.ts';
import { contractSubject, graphConnector, listeningGraph, type ListeningGraph } from '../helpers/microsoft-connector.ts';

let graph: ListeningGraph;
const waits: number[] = [];
before(async () => {
  graph = await listeningGraph({
    delta: { maxPageSize: 7 },
    faults: {
      seed: 7,
      errorRates: { tooManyRequests: 0.05, serviceUnavailable: 0.03, gatewayTimeout: 0.02, mailboxConcurrency: 0.01 },
      retryAfterSeconds: 0.35,
      lostAnswerRate: 0.02,
      latencyMs: { min: 0, max: 4 },
    },
  });
});
after(async () => {
  await graph?.close();
  const stats = graph.app.emulator.stats();
  // Checked after every test of the file has run: the faults were met and retried, never a fifth request at once.
  assert.ok(stats.maxConcurrent <= 4, `at most four requests in flight, saw ${stats.maxConcurrent}`);
  assert.ok(waits.includes(350), `a Retry-After of 0.35 s is waited as 350 ms (waits: ${waits.slice(0, 10).join(', ')}…)`);
});

registerConnectorContract('microsoft with faults', async () => {
  const subject = contractSubject(graph, { pageSize: 7, maxAttempts: 8 });
  return { ...subject, close: async () => { waits.push(...subject.sleeps); } };
});

test('a repeated delta page and an item on two pages still give every item once per id', async () => {
  const calendar = graph.app.emulator.addCalendar({ name: 'loop' });
  const ids = new Set<string>();
  for (let i = 0; i < 20; i++) ids.add(graph.app.emulator.insertEvent(calendar.id, timedEvent(`2026-04-${String(i + 1).padStart(2, '0')}T09:00:00`)).id as string);
  const { connector } = graphConnector(graph, { pageSize: 7, maxAttempts: 8 });
  graph.app.emulator.setFaults({ ...graph.app.emulator.faults(), script: [{ kind: 'repeatPage' }, { kind: 'duplicateItem' }] });
  const seen: string[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await connector.listChanges(calendar.id, null, pageToken);
    pages++;
    seen.push(...page.items.map((i) => i.remoteId));
    if (page.nextPageToken === null) break;
    pageToken = page.nextPageToken;
  }
  assert.deepEqual(new Set(seen), ids);
  assert.ok(seen.length > ids.size, 'the repeated page and the duplicate came through, to be folded by id');
  assert.ok(pages >= 4);
});
