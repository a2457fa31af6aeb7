// The connector contract against the Microsoft Graph emulator (emulators/microsoft),
// listening on a loopback port, one calendar per test: once as Graph answers when all
// is well, once with throttling, outages and lost answers.
import { after, before } from 'node:test';
import { registerConnectorContract } from './contract.ts';
import { contractSubject, listeningGraph, type ListeningGraph } from '../helpers/microsoft-connector.ts';

let graph: ListeningGraph;
before(async () => {
  graph = await listeningGraph({ delta: { maxPageSize: 7 } });
});
after(async () => {
  await graph?.close();
});

registerConnectorContract('microsoft', async () => contractSubject(graph, { pageSize: 7 }));
