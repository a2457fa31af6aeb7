/**
 * What is shown of a feed's address: scheme and host, the path and query cut to "…"
 * (the form the ICS connector's messages use, src/connectors/http-guard.ts redactUrl).
 * A feed account keeps it as its server_url and its bindings as their remote calendar id.
 */
export function feedLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' && !parsed.search ? '/' : '/…'}`;
  } catch {
    return 'the feed URL';
  }
}
