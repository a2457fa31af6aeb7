// The Microsoft identity platform's OAuth 2.0 v2 endpoints, as "Microsoft identity platform
// and OAuth 2.0 authorization code flow" (learn.microsoft.com/entra/identity-platform/
// v2-oauth2-auth-code-flow) and "Refresh tokens" describe them:
// - GET /{tenant}/oauth2/v2.0/authorize (client_id, response_type=code, redirect_uri,
//   scope, state, code_challenge, code_challenge_method S256|plain). No sign-in page: it
//   redirects at once with code and state. A bad client or redirect_uri is answered, not
//   redirected; other errors redirect with error and error_description.
// - POST /{tenant}/oauth2/v2.0/token, form-encoded. authorization_code: the code works
//   once (AADSTS54005 after), for ten minutes (AADSTS70008), with the same redirect_uri,
//   and code_verifier must match the challenge (AADSTS50148). A refresh_token is issued
//   only with the offline_access scope ("offline_access … your app can receive refresh
//   tokens"). refresh_token grant: "Refresh tokens replace themselves with a fresh token
//   upon every use" — the answer carries a new one. The old one works for
//   `refreshGraceSeconds` after it was replaced (default 0: never again; the platform
//   keeps old tokens longer, a fake is not kinder), then invalid_grant AADSTS70000.
//   A revoked grant is invalid_grant AADSTS50173.
// - Answers: token_type Bearer, scope (the resource scopes, without offline_access and
//   openid), expires_in, ext_expires_in, access_token, refresh_token.
import { randomBytes, randomUUID } from 'node:crypto';
import type { OAuthClient } from '../shared/clients.ts';
import { isPkceMethod, verifierMatches, type PkceMethod } from '../shared/pkce.ts';
import { aadErrors, AadError } from './errors.ts';

export type { OAuthClient };

export interface OAuthSettings {
  clients: OAuthClient[];
  accessTokenTtlSeconds: number;
  /** Refresh tokens expire after this long unused; null: never. */
  refreshTokenTtlSeconds: number | null;
  /** How long a replaced refresh token still works (default 0). */
  refreshGraceSeconds: number;
  /** Tenants the authority accepts besides common, organizations and consumers. */
  tenants: string[];
}

export interface Grant {
  id: string;
  clientId: string;
  scope: string;
  offline: boolean;
  refreshToken: string;
  refreshExpiresAt: number | null;
  /** Replaced refresh tokens and until when each still works. */
  replaced: Map<string, number>;
  revoked: boolean;
}

interface Code {
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge: string | null;
  method: PkceMethod;
  expiresAt: number;
  redeemed: boolean;
}

export interface TokenResponse {
  token_type: 'Bearer';
  scope: string;
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
  refresh_token?: string;
}

const CODE_TTL_MS = 600_000;
const random = (bytes: number): string => randomBytes(bytes).toString('base64url');
/** What `scope` answers: the resource scopes, without the OpenID ones. */
const resourceScopes = (scope: string): string =>
  scope.split(/\s+/).filter((s) => s !== '' && !['offline_access', 'openid', 'profile', 'email'].includes(s)).join(' ');

export class IdentityPlatform {
  private readonly codes = new Map<string, Code>();
  private readonly grants = new Map<string, Grant>();
  private readonly byRefresh = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, { grantId: string; expiresAt: number }>();

  constructor(private readonly now: () => number, private readonly settings: OAuthSettings) {}

  checkTenant(tenant: string): void {
    if (!['common', 'organizations', 'consumers', ...this.settings.tenants].includes(tenant)) {
      throw new AadError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
  }

  private client(clientId: unknown): OAuthClient {
    if (typeof clientId !== 'string' || clientId === '') throw aadErrors.missingParameter('client_id');
    const client = this.settings.clients.find((c) => c.clientId === clientId);
    if (!client) throw aadErrors.unknownClient(clientId);
    return client;
  }

  /** The redirect of the authorize endpoint, or an AadError for a request it cannot redirect. */
  authorize(query: Record<string, unknown>): string {
    const client = this.client(query.client_id);
    const redirectUri = query.redirect_uri;
    if (typeof redirectUri !== 'string' || !URL.canParse(redirectUri)) throw aadErrors.missingParameter('redirect_uri');
    if (client.redirectUris && !client.redirectUris.includes(redirectUri)) throw aadErrors.redirectMismatch(redirectUri);
    const target = new URL(redirectUri);
    const state = typeof query.state === 'string' ? query.state : undefined;
    const fail = (error: string, description: string): string => {
      target.searchParams.set('error', error);
      target.searchParams.set('error_description', description);
      if (state !== undefined) target.searchParams.set('state', state);
      return target.toString();
    };
    if (query.response_type !== 'code') return fail('unsupported_response_type', 'AADSTS700054: response_type \'code\' is the only one this authority answers.');
    if (typeof query.scope !== 'string' || query.scope.trim() === '') return fail('invalid_request', 'AADSTS900144: The request body must contain the following parameter: \'scope\'.');
    const challenge = typeof query.code_challenge === 'string' && query.code_challenge !== '' ? query.code_challenge : null;
    const method = query.code_challenge_method ?? 'plain';
    if (challenge !== null && !isPkceMethod(method)) return fail('invalid_request', 'AADSTS501491: Invalid size of Code_Challenge parameter.');
    const code = `0.A${random(48)}`;
    this.codes.set(code, {
      clientId: client.clientId, redirectUri, scope: query.scope.trim(), challenge, method: method as PkceMethod,
      expiresAt: this.now() + CODE_TTL_MS, redeemed: false,
    });
    target.searchParams.set('code', code);
    if (state !== undefined) target.searchParams.set('state', state);
    target.searchParams.set('session_state', randomUUID());
    return target.toString();
  }

  token(body: Record<string, unknown>, basic: { id: string; secret: string } | null): TokenResponse {
    if (typeof body.grant_type !== 'string' || body.grant_type === '') throw aadErrors.missingParameter('grant_type');
    const client = this.client(basic?.id ?? body.client_id);
    const secret = basic?.secret ?? body.client_secret;
    if (client.clientSecret !== undefined && secret !== client.clientSecret) throw aadErrors.badSecret();
    if (body.grant_type === 'authorization_code') return this.exchangeCode(client, body);
    if (body.grant_type === 'refresh_token') return this.refresh(client, body);
    throw aadErrors.unsupportedGrant();
  }

  private exchangeCode(client: OAuthClient, body: Record<string, unknown>): TokenResponse {
    if (typeof body.code !== 'string' || body.code === '') throw aadErrors.missingParameter('code');
    const code = this.codes.get(body.code);
    if (!code || code.clientId !== client.clientId) throw aadErrors.badGrant();
    if (code.redeemed) throw aadErrors.codeRedeemed();
    if (code.expiresAt <= this.now()) throw aadErrors.codeExpired();
    if (body.redirect_uri !== code.redirectUri) throw aadErrors.redirectMismatch(String(body.redirect_uri ?? ''));
    if (code.challenge !== null) {
      if (typeof body.code_verifier !== 'string' || body.code_verifier === '') throw aadErrors.pkceMissing();
      if (!verifierMatches(code.challenge, code.method, body.code_verifier)) throw aadErrors.pkceMismatch();
    }
    code.redeemed = true;
    return this.answer(this.newGrant(client.clientId, code.scope));
  }

  private refresh(client: OAuthClient, body: Record<string, unknown>): TokenResponse {
    if (typeof body.refresh_token !== 'string' || body.refresh_token === '') throw aadErrors.missingParameter('refresh_token');
    const token = body.refresh_token;
    const grant = this.byRefresh.get(token);
    if (!grant || grant.clientId !== client.clientId) throw aadErrors.badGrant();
    if (grant.revoked) throw aadErrors.revoked();
    if (token !== grant.refreshToken) {
      const until = grant.replaced.get(token)!;
      if (until <= this.now()) throw aadErrors.badGrant();
    } else if (grant.refreshExpiresAt !== null && grant.refreshExpiresAt <= this.now()) {
      throw aadErrors.refreshExpired();
    }
    // Rotation: a new refresh token; the one just used works for the grace at most.
    grant.replaced.set(grant.refreshToken, this.now() + this.settings.refreshGraceSeconds * 1000);
    if (token !== grant.refreshToken) grant.replaced.set(token, Math.min(grant.replaced.get(token)!, this.now() + this.settings.refreshGraceSeconds * 1000));
    this.rotate(grant);
    return this.answer(grant);
  }

  /** Tokens without the browser flow (a control). */
  issueGrant(input: { clientId?: string; scope?: string } = {}): TokenResponse & { refresh_token: string; grant_id: string } {
    const clientId = input.clientId ?? this.settings.clients[0]!.clientId;
    this.client(clientId);
    const grant = this.newGrant(clientId, input.scope ?? 'offline_access https://graph.microsoft.com/Calendars.ReadWrite https://graph.microsoft.com/User.Read');
    const answer = this.answer(grant);
    return { ...answer, refresh_token: answer.refresh_token ?? grant.refreshToken, grant_id: grant.id };
  }

  /** Revoke by grant id, refresh token (current or replaced) or access token. */
  revoke(token: string): boolean {
    const grant = this.grants.get(token) ?? this.byRefresh.get(token) ?? this.grants.get(this.accessTokens.get(token)?.grantId ?? '');
    if (!grant) return false;
    grant.revoked = true;
    return true;
  }

  expireAccessTokens(): void {
    for (const t of this.accessTokens.values()) t.expiresAt = Math.min(t.expiresAt, this.now());
  }

  /** null when the bearer token is good; otherwise the message of the 401. */
  authenticate(header: string | undefined): string | null {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return 'Access token is empty.';
    const token = this.accessTokens.get(m[1]!);
    if (!token) return 'CompactToken parsing failed with error code: 80049217';
    if (token.expiresAt <= this.now()) return 'Lifetime validation failed, the token is expired.';
    // Continuous access evaluation: Exchange hears of a revocation within minutes.
    if (this.grants.get(token.grantId)!.revoked) return 'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp';
    return null;
  }

  grantsList(): Array<Pick<Grant, 'id' | 'clientId' | 'scope' | 'revoked'> & { replacedRefreshTokens: number }> {
    return [...this.grants.values()].map((g) => ({ id: g.id, clientId: g.clientId, scope: g.scope, revoked: g.revoked, replacedRefreshTokens: g.replaced.size }));
  }

  private newGrant(clientId: string, scope: string): Grant {
    const grant: Grant = {
      id: random(12), clientId, scope, offline: scope.split(/\s+/).includes('offline_access'),
      refreshToken: '', refreshExpiresAt: null, replaced: new Map(), revoked: false,
    };
    this.grants.set(grant.id, grant);
    this.rotate(grant);
    return grant;
  }

  private rotate(grant: Grant): void {
    grant.refreshToken = `1.A${random(64)}`;
    const ttl = this.settings.refreshTokenTtlSeconds;
    grant.refreshExpiresAt = ttl === null ? null : this.now() + ttl * 1000;
    this.byRefresh.set(grant.refreshToken, grant);
  }

  private answer(grant: Grant): TokenResponse {
    const access = `eyJ0eXAiOiJKV1QiLCJub25jZSI6${random(96)}`;
    const ttl = this.settings.accessTokenTtlSeconds;
    this.accessTokens.set(access, { grantId: grant.id, expiresAt: this.now() + ttl * 1000 });
    return {
      token_type: 'Bearer', scope: resourceScopes(grant.scope), expires_in: ttl, ext_expires_in: ttl, access_token: access,
      ...(grant.offline ? { refresh_token: grant.refreshToken } : {}),
    };
  }
}
