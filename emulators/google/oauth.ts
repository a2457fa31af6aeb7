// Google's OAuth 2.0 endpoints as "Using OAuth 2.0 for Web Server Applications" and the
// installed-app guide (developers.google.com/identity/protocols/oauth2/web-server,
// /native-app) describe them:
// - GET /o/oauth2/v2/auth (client_id, redirect_uri, response_type=code, scope, state,
//   access_type, code_challenge, code_challenge_method S256 or plain). The emulator has
//   no consent screen: it redirects at once to redirect_uri with code, scope and state.
// - POST /token, form-encoded: grant_type=authorization_code with code, client_id,
//   client_secret, redirect_uri and code_verifier; grant_type=refresh_token with
//   refresh_token. Answers access_token, expires_in, token_type "Bearer", scope, and a
//   refresh_token for the code exchange ("access_type … offline … instructs the Google
//   authorization server to return a refresh token … the first time that your
//   application exchanges an authorization code"); a refresh answers no new one.
//   refresh_token_expires_in is set only for time-limited grants.
// - Errors are RFC 6749 §5.2 bodies. A revoked or expired refresh token is
//   {"error": "invalid_grant", "error_description": "Token has been expired or revoked."};
//   a used or unknown code is invalid_grant "Bad Request"; PKCE failures are
//   invalid_grant "Missing code verifier." / "Invalid code verifier.".
// - POST /revoke with token=… revokes the grant (access and refresh tokens).
// Access tokens are required as `Authorization: Bearer` on every Calendar API call and
// expire after expires_in.
import { randomBytes } from 'node:crypto';
import type { OAuthClient } from '../shared/clients.ts';
import { isPkceMethod, verifierMatches, type PkceMethod } from '../shared/pkce.ts';
import { OAuthError } from './errors.ts';

export type { OAuthClient };

export interface OAuthSettings {
  clients: OAuthClient[];
  accessTokenTtlSeconds: number;
  /** null: refresh tokens never expire (published apps); 604800 mimics an app in "testing". */
  refreshTokenTtlSeconds: number | null;
  scope: string;
}

export interface Grant {
  id: string;
  clientId: string;
  scope: string;
  refreshToken: string;
  refreshExpiresAt: number | null;
  revoked: boolean;
}

interface Code {
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge: string | null;
  method: PkceMethod;
  offline: boolean;
  expiresAt: number;
}

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
  scope: string;
  refresh_token?: string;
  refresh_token_expires_in?: number;
}

/** Authorization codes live ten minutes and work once. */
const CODE_TTL_MS = 600_000;

const random = (bytes: number): string => randomBytes(bytes).toString('base64url');

export class OAuthServer {
  private readonly codes = new Map<string, Code>();
  private readonly grants = new Map<string, Grant>();
  private readonly byRefresh = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, { grantId: string; expiresAt: number }>();

  constructor(private readonly now: () => number, private readonly settings: OAuthSettings) {}

  private client(clientId: unknown): OAuthClient {
    const client = this.settings.clients.find((c) => c.clientId === clientId);
    if (!client) throw new OAuthError(401, 'invalid_client', 'The OAuth client was not found.');
    return client;
  }

  /** The redirect of the authorization endpoint, or an OAuthError for a request it cannot redirect. */
  authorize(query: Record<string, unknown>): string {
    const client = this.client(query.client_id);
    const redirectUri = query.redirect_uri;
    if (typeof redirectUri !== 'string' || !URL.canParse(redirectUri)) throw new OAuthError(400, 'invalid_request', 'Missing required parameter: redirect_uri');
    if (client.redirectUris && !client.redirectUris.includes(redirectUri)) throw new OAuthError(400, 'redirect_uri_mismatch', 'Bad Request');
    const target = new URL(redirectUri);
    const state = typeof query.state === 'string' ? query.state : undefined;
    const fail = (error: string): string => {
      target.searchParams.set('error', error);
      if (state !== undefined) target.searchParams.set('state', state);
      return target.toString();
    };
    if (query.response_type !== 'code') return fail('unsupported_response_type');
    const challenge = typeof query.code_challenge === 'string' ? query.code_challenge : null;
    const method = query.code_challenge_method ?? 'plain';
    if (!isPkceMethod(method)) return fail('invalid_request');
    const scope = typeof query.scope === 'string' && query.scope !== '' ? query.scope : this.settings.scope;
    const code = `4/0${random(32)}`;
    this.codes.set(code, {
      clientId: client.clientId, redirectUri, scope, challenge, method, offline: query.access_type !== 'online', expiresAt: this.now() + CODE_TTL_MS,
    });
    target.searchParams.set('code', code);
    target.searchParams.set('scope', scope);
    if (state !== undefined) target.searchParams.set('state', state);
    return target.toString();
  }

  /** POST /token. `basic` is the client id and secret of an Authorization: Basic header. */
  token(form: Record<string, unknown>, basic: { id: string; secret: string } | null): TokenResponse {
    const clientId = form.client_id ?? basic?.id;
    const secret = form.client_secret ?? basic?.secret;
    if (clientId === undefined) throw new OAuthError(400, 'invalid_request', 'Missing required parameter: client_id');
    const client = this.client(clientId);
    if (client.clientSecret !== undefined && secret !== client.clientSecret) throw new OAuthError(401, 'invalid_client', 'Unauthorized');

    if (form.grant_type === 'authorization_code') {
      if (typeof form.code !== 'string') throw new OAuthError(400, 'invalid_request', 'Missing required parameter: code');
      const code = this.codes.get(form.code);
      this.codes.delete(form.code);
      if (!code || code.expiresAt <= this.now() || code.clientId !== client.clientId) throw new OAuthError(400, 'invalid_grant', 'Bad Request');
      if (form.redirect_uri !== code.redirectUri) throw new OAuthError(400, 'redirect_uri_mismatch', 'Bad Request');
      if (code.challenge !== null) {
        const verifier = form.code_verifier;
        if (typeof verifier !== 'string' || verifier === '') throw new OAuthError(400, 'invalid_grant', 'Missing code verifier.');
        if (!verifierMatches(code.challenge, code.method, verifier)) throw new OAuthError(400, 'invalid_grant', 'Invalid code verifier.');
      }
      const grant = this.newGrant(client.clientId, code.scope);
      const access = this.newAccessToken(grant);
      return { ...access, ...(code.offline ? this.refreshMembers(grant) : {}) };
    }
    if (form.grant_type === 'refresh_token') {
      if (typeof form.refresh_token !== 'string') throw new OAuthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
      const grant = this.byRefresh.get(form.refresh_token);
      if (!grant || grant.revoked || (grant.refreshExpiresAt !== null && grant.refreshExpiresAt <= this.now()) || grant.clientId !== client.clientId) {
        throw new OAuthError(400, 'invalid_grant', 'Token has been expired or revoked.');
      }
      const access = this.newAccessToken(grant);
      return grant.refreshExpiresAt === null ? access : { ...access, refresh_token_expires_in: Math.max(0, Math.floor((grant.refreshExpiresAt - this.now()) / 1000)) };
    }
    throw new OAuthError(400, 'unsupported_grant_type', `Invalid grant_type: ${String(form.grant_type ?? '')}`);
  }

  /** A grant made without the browser flow (control API and tests), with its first tokens. */
  issueGrant(input: { clientId?: string; scope?: string } = {}): TokenResponse & { refresh_token: string; grant_id: string } {
    const clientId = input.clientId ?? this.settings.clients[0]!.clientId;
    const grant = this.newGrant(this.client(clientId).clientId, input.scope ?? this.settings.scope);
    return { ...this.newAccessToken(grant), ...this.refreshMembers(grant), refresh_token: grant.refreshToken, grant_id: grant.id };
  }

  /** Revoke a grant by its id, refresh token or any of its access tokens. False when none matches. */
  revoke(token: string): boolean {
    const grant = this.grants.get(token) ?? this.byRefresh.get(token) ?? this.grants.get(this.accessTokens.get(token)?.grantId ?? '');
    if (!grant || grant.revoked) return false;
    grant.revoked = true;
    return true;
  }

  /** Every access token issued so far expires now (refresh tokens keep working). */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.values()) token.expiresAt = Math.min(token.expiresAt, this.now());
  }

  /** Whether an Authorization header carries a live access token. */
  authenticate(header: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
    if (!m) return false;
    const token = this.accessTokens.get(m[1]!);
    if (!token || token.expiresAt <= this.now()) return false;
    return !this.grants.get(token.grantId)!.revoked;
  }

  grantList(): Grant[] {
    return [...this.grants.values()].map((g) => ({ ...g }));
  }

  private newGrant(clientId: string, scope: string): Grant {
    const ttl = this.settings.refreshTokenTtlSeconds;
    const grant: Grant = {
      id: random(12), clientId, scope, refreshToken: `1//0${random(48)}`,
      refreshExpiresAt: ttl === null ? null : this.now() + ttl * 1000, revoked: false,
    };
    this.grants.set(grant.id, grant);
    this.byRefresh.set(grant.refreshToken, grant);
    return grant;
  }

  private refreshMembers(grant: Grant): Pick<TokenResponse, 'refresh_token' | 'refresh_token_expires_in'> {
    return {
      refresh_token: grant.refreshToken,
      ...(grant.refreshExpiresAt !== null ? { refresh_token_expires_in: Math.floor((grant.refreshExpiresAt - this.now()) / 1000) } : {}),
    };
  }

  private newAccessToken(grant: Grant): TokenResponse {
    const token = `ya29.${random(48)}`;
    const ttl = this.settings.accessTokenTtlSeconds;
    this.accessTokens.set(token, { grantId: grant.id, expiresAt: this.now() + ttl * 1000 });
    return { access_token: token, expires_in: ttl, token_type: 'Bearer', scope: grant.scope };
  }
}
