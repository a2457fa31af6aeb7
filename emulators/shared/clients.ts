// OAuth clients as both emulators register them, and the client credentials of an
// `Authorization: Basic` header (RFC 6749 §2.3.1: form-urlencoded id and secret).
export interface OAuthClient {
  clientId: string;
  /** Omitted for a public client (PKCE only). */
  clientSecret?: string;
  /** Allowed redirect URIs; omitted: any. */
  redirectUris?: string[];
}

export function basicAuth(header: string | undefined): { id: string; secret: string } | null {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}
