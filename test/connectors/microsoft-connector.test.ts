// The connector contract against the Microsoft Graph emulator (emulators/microsoft),
// listening on a loopback port, one calendar per test: once as Graph answers when all
// is well, once with throttling, outages and lost answers.
import { after, before } from 'node:test';
import { registerConnectorContract } from './contract.ts';
import { timedEvent } from '../helpers/microsoft-emulator.ts';
import { graphConnector, listeningGraph, type ListeningGraph } from '../helpers/microsoft-connector.ts';

let graph: ListeningGraph;
before(async () => {
  graph = await listeningGraph({ delta: { maxPageSize: 7 } });
});
after(async () => {
  await graph?.close();
});

registerConnectorContract('microsoft', async () => {
  const calendar = graph.app.emulator.addCalendar({ name: 'contract' });
  const { connector } = graphConnector(graph, { pageSize: 7 });
  return {
    connector,
    remoteCalendarId: calendar.id,
    expireCursors: async () => graph.app.emulator.expireDeltaTokens(),
    plantUnreadable: async (readable) => {
      for (const series of readable) await connector.create(calendar.id, series, { calsyncId: `cs-${series.uid}` });
      // Outlook holds a blank category name (Graph takes any string); calsync's model refuses one.
      const blank = graph.app.emulator.insertEvent(calendar.id, { ...timedEvent('2026-03-04T12:00:00', 60, 'W. Europe Standard Time'), categories: [' '] });
      return blank.id as string;
    },
  };
});
