// The signature calsync puts on every watch notification, Calendly style:
//   X-Calsync-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
// keyed with the channel's signing secret (its text, as returned by events.watch).
// The timestamp inside the signed text lets a receiver refuse replays older than its
// window; `v1` names the scheme so a later one can be sent alongside during a change.
import { createHmac } from 'node:crypto';

export const signatureHeader = 'X-Calsync-Signature';

export function signWebhook(secret: string, unixSeconds: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}
