// Connecting a Google account: OAuth 2.0 authorization code with PKCE (RFC 7636, S256)
// and offline access, as Google's installed-app guide describes it
// (developers.google.com/identity/protocols/oauth2/native-app): the consent URL, the
// code exchanged for tokens, then the account's calendars.
import { auth as googleAuth } from '@googleapis/calendar';
import { ConnectorError } from '../connector.ts';
import { GoogleClient, type GoogleCredentials } from './client.ts';
import { CALENDAR_SCOPE, type GoogleEndpoints } from './endpoints.ts';
import { classifyFailure, failureOf } from './errors.ts';

export interface GoogleOAuthClient {
  clientId: string;
  clientSecret?: string;
  endpoints: GoogleEndpoints;
  fetch?: typeof fetch;
  /** Credentials after a refresh while listing calendars with stored ones. */
  onCredentials?: (credentials: GoogleCredentials) => Promise<void>;
}

function oauthClient(client: GoogleOAuthClient, redirectUri: string): InstanceType<typeof googleAuth.OAuth2> {
  return new googleAuth.OAuth2({
    clientId: client.clientId, clientSecret: client.clientSecret, redirectUri,
    endpoints: { oauth2AuthBaseUrl: client.endpoints.authUrl, oauth2TokenUrl: client.endpoints.tokenUrl, oauth2RevokeUrl: client.endpoints.revokeUrl },
    transporterOptions: { fetchImplementation: client.fetch ?? globalThis.fetch },
  });
}

/**
 * The consent URL and the PKCE verifier to keep until the code comes back.
 * `access_type=offline` asks for a refresh token; `prompt=consent` gets one again when
 * the user already granted access once (Google answers it only on consent).
 */
export async function authorizationRequest(client: GoogleOAuthClient, input: { redirectUri: string; state: string; loginHint?: string }): Promise<{ url: string; codeVerifier: string }> {
  const oauth = oauthClient(client, input.redirectUri);
  const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
  const url = oauth.generateAuthUrl({
    access_type: 'offline', prompt: 'consent', scope: [CALENDAR_SCOPE], state: input.state,
    code_challenge: codeChallenge!, code_challenge_method: 'S256' as never,
    ...(input.loginHint ? { login_hint: input.loginHint } : {}),
  });
  return { url, codeVerifier };
}

/** The code from the redirect, exchanged for tokens. A refused code is `auth-revoked`. */
export async function exchangeCode(client: GoogleOAuthClient, input: { code: string; codeVerifier: string; redirectUri: string }): Promise<GoogleCredentials> {
  const oauth = oauthClient(client, input.redirectUri);
  let tokens;
  try {
    ({ tokens } = await oauth.getToken({ code: input.code, codeVerifier: input.codeVerifier, redirect_uri: input.redirectUri }));
  } catch (error) {
    throw classifyFailure({ ...failureOf(error, 'calendar', client.endpoints.tokenUrl, Date.now(), null), fromTokenEndpoint: true });
  }
  if (!tokens.refresh_token) throw new ConnectorError('permanent', 'Google gave no refresh token: the grant is not for offline access');
  return { refreshToken: tokens.refresh_token, accessToken: tokens.access_token ?? null, expiry: tokens.expiry_date ?? null };
}

export interface GoogleCalendarEntry {
  /** What `calsync bind --remote` takes. */
  remoteCalendarId: string;
  displayName: string;
  timeZone: string | null;
  primary: boolean;
  /** owner or writer: calsync can write to it. */
  writable: boolean;
}

/** The account's address (its primary calendar's id) and its calendars. */
export async function listGoogleCalendars(client: GoogleOAuthClient, credentials: GoogleCredentials): Promise<{ login: string; calendars: GoogleCalendarEntry[] }> {
  const api = new GoogleClient({ ...client, credentials });
  const calendars: GoogleCalendarEntry[] = [];
  let pageToken: string | undefined;
  do {
    const answer = await api.call('calendar', null, (o) => api.api.calendarList.list({ maxResults: 250, ...(pageToken ? { pageToken } : {}) }, o));
    if (!answer.ok) throw answer.error;
    for (const entry of answer.data.items ?? []) {
      calendars.push({
        remoteCalendarId: entry.id!, displayName: entry.summaryOverride ?? entry.summary ?? entry.id!, timeZone: entry.timeZone ?? null,
        primary: entry.primary === true, writable: entry.accessRole === 'owner' || entry.accessRole === 'writer',
      });
    }
    pageToken = answer.data.nextPageToken ?? undefined;
  } while (pageToken);
  return { login: calendars.find((c) => c.primary)?.remoteCalendarId ?? '', calendars };
}
