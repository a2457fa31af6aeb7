// What the HTTP layer may ask of providers while connecting an account and binding its
// calendars; the composition root supplies it with the real fetch and the URL guard.
import type { Discovery } from '../connectors/caldav/index.ts';
import type { GoogleConnection } from '../connectors/google/oauth.ts';
import type { CalendarLister } from '../engine/remote-calendars.ts';

export interface GoogleAuthorization {
  /** The consent URL for `redirectUri`, and the PKCE verifier to keep until the code returns. */
  authorizationRequest(input: { redirectUri: string; state: string; loginHint?: string }): Promise<{ url: string; codeVerifier: string }>;
  /** The code exchanged for tokens, and the account's calendars. */
  connect(input: { code: string; codeVerifier: string; redirectUri: string }): Promise<GoogleConnection>;
}

export interface ProviderProbes extends CalendarLister {
  discoverCalDav(login: { serverUrl: string; username: string; password: string }): Promise<Discovery>;
  /** Reads a feed once; the number of event series in it. */
  probeIcs(url: string): Promise<number>;
  /** Google's OAuth flow; PROVIDER_NOT_CONFIGURED when calsync has no Google client configured. */
  google: GoogleAuthorization;
}
