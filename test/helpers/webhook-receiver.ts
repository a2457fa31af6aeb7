// A real HTTP receiver for watch notifications on 127.0.0.1: records every request and
// answers with the status the test sets, and verifies signatures as the README says a
// receiver should.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

export interface Notification {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface Receiver {
  url: string;
  received: Notification[];
  /** The status the next requests get (200 unless set). */
  status: number;
  /** Statuses for some paths (one channel's address) instead of `status`. */
  statusOf: Map<string, number>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], status: 200, statusOf: new Map(), close: async () => undefined };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = receiver.statusOf.get(request.url ?? '') ?? receiver.status;
      receiver.received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}

/** Verifies X-Calsync-Signature over the raw body: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">, within 5 minutes. */
export function signatureVerifies(notification: Notification, secret: string, nowSeconds = Date.now() / 1000): boolean {
  const header = String(notification.headers['x-calsync-signature'] ?? '');
  const parts = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${notification.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
