// Connecting a Microsoft account: the identity platform's authorization code flow with
// PKCE (v2-oauth2-auth-code-flow, S256) and offline_access for a refresh token, then
// the account's calendars. Shapes follow ../google/oauth.ts.
import { createHash, randomBytes } from 'node:crypto';
import { ConnectorError } from '../connector.ts';
import { GRAPH_SCOPES, GraphClient, tokenUrlOf, type GraphEndpoints, type MicrosoftCredentials } from './client.ts';
import { classifyGraphFailure, failureOf } from './errors.ts';

export interface MicrosoftOAuthClient {
  clientId: string;
  clientSecret?: string;
  endpoints: GraphEndpoints;
  fetch?: typeof fetch;
  now?: () => number;
  /** Credentials after a refresh while listing calendars with stored ones. */
  onCredentials?: (credentials: MicrosoftCredentials) => Promise<void>;
}

const authorizeUrlOf = (e: GraphEndpoints): string => `${e.authorityUrl.replace(/\/$/, '')}/${e.tenant ?? 'common'}/oauth2/v2.0/authorize`;

/** The consent URL and the PKCE verifier to keep until the code comes back. */
export function authorizationRequest(client: MicrosoftOAuthClient, input: { redirectUri: string; state: string; loginHint?: string }): { url: string; codeVerifier: string } {
  // RFC 7636: 32 random octets, base64url, 43 characters.
  const codeVerifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(codeVerifier).digest('base64url');
  const q = new URLSearchParams({
    client_id: client.clientId, response_type: 'code', redirect_uri: input.redirectUri, response_mode: 'query',
    scope: GRAPH_SCOPES.join(' '), state: input.state, code_challenge: challenge, code_challenge_method: 'S256',
    ...(input.loginHint ? { login_hint: input.loginHint } : {}),
  });
  return { url: `${authorizeUrlOf(client.endpoints)}?${q}`, codeVerifier };
}

/** The code from the redirect, exchanged for tokens. A refused code is `auth-revoked`. */
export async function exchangeCode(client: MicrosoftOAuthClient, input: { code: string; codeVerifier: string; redirectUri: string }): Promise<MicrosoftCredentials> {
  const now = client.now ?? Date.now;
  const form = new URLSearchParams({
    client_id: client.clientId, grant_type: 'authorization_code', code: input.code, redirect_uri: input.redirectUri,
    code_verifier: input.codeVerifier, scope: GRAPH_SCOPES.join(' '),
  });
  if (client.clientSecret) form.set('client_secret', client.clientSecret);
  let status: number | null = null;
  let body: any = null;
  let headers: Headers | null = null;
  let thrown: unknown = null;
  try {
    const response = await (client.fetch ?? globalThis.fetch)(tokenUrlOf(client.endpoints), {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString(),
    });
    status = response.status;
    headers = response.headers;
    body = await response.json().catch(() => null);
  } catch (error) {
    thrown = error;
  }
  if (status !== 200 || typeof body?.access_token !== 'string') {
    throw classifyGraphFailure(failureOf({ status, headers, body, error: thrown }, { operation: 'calendar', fromTokenEndpoint: true, now: now() }));
  }
  if (typeof body.refresh_token !== 'string') throw new ConnectorError('permanent', 'Microsoft gave no refresh token: the grant lacks offline_access');
  return { refreshToken: body.refresh_token, accessToken: body.access_token, expiry: typeof body.expires_in === 'number' ? now() + body.expires_in * 1000 : null };
}

export interface MicrosoftCalendarEntry {
  /** What `calsync bind --remote` takes. */
  remoteCalendarId: string;
  displayName: string;
  primary: boolean;
  /** calsync can write to it. */
  writable: boolean;
  /** The owner's address, when Graph names one. */
  owner: string | null;
}

/** The account's address (`/me`'s mail, else its user principal name) and its calendars. */
export async function listMicrosoftCalendars(client: MicrosoftOAuthClient, credentials: MicrosoftCredentials): Promise<{ login: string; calendars: MicrosoftCalendarEntry[] }> {
  const api = new GraphClient({ ...client, credentials });
  const me = (await api.request({ operation: 'calendar', method: 'GET', url: '/me' })).body;
  const calendars: MicrosoftCalendarEntry[] = [];
  let link: string | null = '/me/calendars?$top=100';
  while (link !== null) {
    const body: any = (await api.request({ operation: 'calendar', method: 'GET', url: link })).body;
    for (const c of body?.value ?? []) {
      calendars.push({
        remoteCalendarId: c.id, displayName: c.name ?? c.id, primary: c.isDefaultCalendar === true, writable: c.canEdit === true,
        owner: typeof c.owner?.address === 'string' ? c.owner.address : null,
      });
    }
    link = typeof body?.['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : null;
  }
  return { login: me?.mail ?? me?.userPrincipalName ?? '', calendars };
}
