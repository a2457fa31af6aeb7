// Google push against the emulator over real sockets: the app listening on 127.0.0.1,
// the emulator posting its notifications to the app's webhook route, and a worker running
// every job but the minutely channel renewal, which would race the renewals a test makes
// by hand and observes step by step.
import type { Runner } from 'graphile-worker';
import pino from 'pino';
import type { PushSettings } from '../../src/engine/push-channels.ts';
import type { EngineDeps } from '../../src/engine/sync-pass.ts';
import { renewPushChannelsJob } from '../../src/jobs/renew-push-channels.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { testApp, type TestApp } from './app.ts';
import { EMULATOR_CLIENT, listeningEmulator, type ListeningEmulator } from './google-connector.ts';

export interface PushWorld {
  t: TestApp;
  emulator: ListeningEmulator;
  engine: EngineDeps;
  push: PushSettings;
  /** The app's origin, `http://127.0.0.1:<port>`. */
  base: string;
  secrets: Secrets;
  close(): Promise<void>;
}

export async function startPushWorld(workerName: string): Promise<PushWorld> {
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const t = await testApp({ secrets });
  let emulator: ListeningEmulator | undefined;
  let runner: Runner | undefined;
  const close = async () => {
    await runner?.stop();
    await emulator?.close();
    await t.close();
  };
  try {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    emulator = await listeningEmulator({ timeZone: 'Europe/Berlin', fetch: (input, init) => fetch(input, init) });
    const db = t.database.db;
    const engine: EngineDeps = {
      db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName, debounceMs: 100,
      connectorFor: connectorFactory({ db, secrets, fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }), google: { ...EMULATOR_CLIENT, apiUrl: emulator.root, oauthUrl: emulator.root } }),
    };
    const push: PushSettings = { webhookUrl: base };
    const tasks = allTasks.filter((task) => task.name !== renewPushChannelsJob.name);
    runner = await startWorker({ db, concurrency: 2, workerName, engine, push, tasks, logger: graphileLogger(pino({ level: 'silent' })) });
    return { t, emulator, engine, push, base, secrets, close };
  } catch (error) {
    await close();
    throw error;
  }
}
