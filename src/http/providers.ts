// What the HTTP layer may ask of providers while connecting an account; the composition
// root supplies it with the real fetch and the URL guard.
import type { Discovery } from '../connectors/caldav/index.ts';

export interface ProviderProbes {
  discoverCalDav(login: { serverUrl: string; username: string; password: string }): Promise<Discovery>;
  /** Reads a feed once; the number of event series in it. */
  probeIcs(url: string): Promise<number>;
}
