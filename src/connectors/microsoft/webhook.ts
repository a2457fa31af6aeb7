// Graph's requests at /webhooks/microsoft (change-notifications-delivery-webhooks,
// change-notifications-lifecycle-events):
// - the validation request, `POST …?validationToken=<opaque>` with no notification: it
//   must be answered 200 within 10 seconds with the token, decoded, as text/plain, or
//   Graph makes no subscription;
// - change notifications, `{"value":[{subscriptionId, clientState, changeType,
//   resource, resourceData, …}]}`, answered 2xx within 3 seconds (Graph retries for up
//   to 4 hours, then drops them);
// - lifecycle notifications at the same address (subscribe.ts sets it as the
//   lifecycleNotificationUrl), `{"value":[{subscriptionId, clientState, lifecycleEvent}]}`:
//   `reauthorizationRequired` and `subscriptionRemoved` ask for the subscription to be
//   renewed or made again, `missed` says notifications were lost: a pass finds what
//   they would have said.
// Graph's subscription id is Graph's own; calsync's id of the subscription travels in
// the clientState beside its secret (`<calsync id>.<secret>`, see provider.ts), so a
// notification names the subscription calsync stored without a lookup by Graph's id.
import { secretMatches } from '../../core/secret-digest.ts';
import type { Notification, WebhookReading, WebhookVerifier } from '../provider.ts';

/** Graph's tokens are a few hundred characters; a longer one is not Graph's. */
const MAX_VALIDATION_TOKEN = 4096;

/** The clientState calsync gives a subscription: its own id and the secret. */
export const clientStateOf = (subscriptionId: string, secret: string): string => `${subscriptionId}.${secret}`;

/** The calsync id and secret a clientState carries; null when it is not calsync's shape. */
export function readClientState(clientState: unknown): { subscriptionId: string; secret: string } | null {
  if (typeof clientState !== 'string') return null;
  const dot = clientState.indexOf('.');
  if (dot <= 0 || dot === clientState.length - 1) return null;
  return { subscriptionId: clientState.slice(0, dot), secret: clientState.slice(dot + 1) };
}

const refuse = (message: string): WebhookReading => ({ answer: { status: 400, body: { error: message } } });

function notificationOf(entry: unknown): Notification | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const e = entry as Record<string, unknown>;
  const state = readClientState(e.clientState);
  const graphId = typeof e.subscriptionId === 'string' ? e.subscriptionId : '';
  if (state === null || graphId === '') return null;
  const lifecycle = typeof e.lifecycleEvent === 'string' ? e.lifecycleEvent : null;
  // Unknown lifecycle events (Graph may add some) are taken as changes: a pass is never wrong.
  const kind = lifecycle === 'reauthorizationRequired' || lifecycle === 'subscriptionRemoved' ? 'resubscribe' : 'changed';
  return { subscriptionId: state.subscriptionId, secret: state.secret, resourceId: graphId, kind };
}

export const graphWebhook: WebhookVerifier = {
  // A batch carries at most a few hundred notifications of about 1 KB.
  bodyLimit: 1024 * 1024,
  summary: 'Microsoft Graph change and lifecycle notifications, and its validation request (the clientState names the binding; no API key)',
  read(request) {
    const token = request.query.validationToken;
    if (token !== undefined) {
      if (token.length > MAX_VALIDATION_TOKEN) return refuse('validationToken is too long to be Graph\'s');
      // The query string is decoded already; Graph expects the token back as it was made.
      return { answer: { status: 200, contentType: 'text/plain; charset=utf-8', body: token } };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body.toString('utf8'));
    } catch {
      return refuse('not a Graph notification: the body is not JSON');
    }
    const value = (parsed as { value?: unknown } | null)?.value;
    if (!Array.isArray(value) || value.length === 0) return refuse('not a Graph notification: no "value" array');
    const notifications: Notification[] = [];
    for (const entry of value) {
      const notification = notificationOf(entry);
      // An entry without calsync's clientState cannot be any subscription calsync made.
      if (notification === null) return refuse('not a notification of a calsync subscription: no subscriptionId or clientState of calsync\'s shape');
      notifications.push(notification);
    }
    return { notifications };
  },
  authentic: (notification, stored) => secretMatches(notification.secret, stored.secretHash),
};
