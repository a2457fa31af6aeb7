// Where watch channels may deliver: https only (Google refuses anything else, and the
// notification and its signature should not cross the network in clear text) unless
// the operator allows http for development; and, like every URL a user gives, not
// loopback, private or link-local addresses unless allowed (src/connectors/http-guard.ts).
// Checked when the channel is made and again before every delivery, because what a
// name resolves to can change in between.
import { ConnectorError } from '../connectors/connector.ts';
import type { UrlGuard } from '../connectors/http-guard.ts';
import { CalsyncError } from '../errors.ts';

export interface WebhookPolicy {
  guard: UrlGuard;
  /** http:// addresses allowed (CALSYNC_ALLOW_HTTP_WEBHOOKS, development only). */
  allowHttp: boolean;
}

export async function checkWebhookAddress(address: string, policy: WebhookPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new CalsyncError('INVALID_REQUEST', `Invalid address: ${address} is not a URL`, { field: 'address' });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw new CalsyncError('WEBHOOK_URL_NOT_HTTPS', `WebHook callback must be HTTPS: ${address}`, { field: 'address' });
  }
  try {
    return await policy.guard.check(url);
  } catch (error) {
    if (error instanceof ConnectorError) throw new CalsyncError('WEBHOOK_URL_REFUSED', error.message, { field: 'address' }, { cause: error });
    throw error;
  }
}
