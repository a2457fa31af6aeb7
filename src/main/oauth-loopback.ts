// `calsync connect google` and `calsync connect microsoft` (every OAuth provider,
// src/cli/connect-oauth.ts) on the operator's machine: the installed-app flow with a
// loopback redirect ("http://127.0.0.1:<port>", Google's native-app guide; Microsoft's
// identity platform takes the same for public clients). A server on a free
// loopback port receives the one redirect that carries our state, answers the browser
// with a short page, and is closed; the code is then exchanged with the PKCE verifier.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { CalsyncError } from '../errors.ts';
import type { ConnectedAccount, OAuthConnect, Provider, ProviderContext, RemoteCalendar } from '../connectors/provider.ts';

export interface LoopbackOptions {
  /** 0: any free port. */
  port: number;
  timeoutSeconds: number;
  loginHint?: string;
  /** Shows the consent URL to the person at the keyboard. */
  onUrl(url: string): void;
}

const page = (text: string) => `<!doctype html><meta charset="utf-8"><title>calsync</title><p>${text}</p>`;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function listen(server: http.Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as { port: number }).port;
}

export async function authorizeOnLoopback(
  provider: Provider & { connect: OAuthConnect }, context: ProviderContext, options: LoopbackOptions,
): Promise<ConnectedAccount & { calendars: RemoteCalendar[] }> {
  const authorization = provider.connect;
  const title = provider.title;
  const state = randomBytes(24).toString('base64url');
  const server = http.createServer();
  const port = await listen(server, options.port);
  const redirectUri = `http://127.0.0.1:${port}/`;
  try {
    const { url, codeVerifier } = await authorization.authorize(context, { redirectUri, state, ...(options.loginHint ? { loginHint: options.loginHint } : {}) });
    options.onUrl(url);
    const code = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CalsyncError('OAUTH_NOT_COMPLETED', `${title}'s consent was not completed within ${options.timeoutSeconds} s`)), options.timeoutSeconds * 1000);
      server.on('request', (request, response) => {
        const query = new URL(request.url ?? '/', redirectUri).searchParams;
        // Anything else that finds the port (a favicon request, a scanner) is not the redirect.
        if (!sameText(query.get('state') ?? '', state)) return void response.writeHead(404).end();
        clearTimeout(timer);
        const error = query.get('error');
        const code = query.get('code');
        const html = { 'content-type': 'text/html; charset=utf-8' };
        if (error !== null || code === null) {
          response.writeHead(200, html).end(page('calsync was not given access. You can close this window.'));
          return reject(new CalsyncError('OAUTH_NOT_COMPLETED', `${title} answered ${error ?? 'without a code'}`));
        }
        response.writeHead(200, html).end(page(`calsync is connected to your ${title} calendars. You can close this window.`));
        resolve(code);
      });
    });
    return await authorization.complete(context, { code, codeVerifier, redirectUri });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
