// Real CalDAV servers for interop tests: Radicale and Xandikos from Debian's packages,
// each in its own temp dir on a free 127.0.0.1 port, stopped by the PID we started.
// A missing binary is reported, so tests skip with the install command.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type ServerKind = 'radicale' | 'xandikos';

const BINARIES: Record<ServerKind, string> = { radicale: '/usr/bin/radicale', xandikos: '/usr/bin/xandikos' };

/** Null when the server can run here, else why not (for t.skip). */
export function missingServer(kind: ServerKind): string | null {
  return existsSync(BINARIES[kind]) ? null : `${kind} is not installed: apt-get install ${kind}`;
}

export interface CalDavServer {
  kind: ServerKind;
  /** `http://127.0.0.1:<port>/` */
  url: string;
  username: string;
  password: string;
  /** Where this user's calendars are created. */
  homePath: string;
  /** Radicale's storage folder (for expiring its sync-token states), else null. */
  storageDir: string | null;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilAnswering(child: ChildProcess, url: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited during start-up (${child.exitCode ?? child.signalCode}):\n${log()}`);
    try {
      const response = await fetch(url, { method: 'OPTIONS', signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not answer on ${url} within 15 s:\n${log()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function radicaleConfig(dir: string, port: number): string {
  // Its own config: Debian's /etc/radicale/config uses remote_user auth.
  return `[server]
hosts = 127.0.0.1:${port}
max_connections = 16
timeout = 120

[auth]
# any user name is accepted; the principal is /<username>/
type = none

[rights]
type = owner_only

[storage]
type = multifilesystem
filesystem_folder = ${dir}/collections

[web]
type = none

[logging]
level = warning
`;
}

export async function startCalDavServer(kind: ServerKind): Promise<CalDavServer> {
  const dir = await mkdtemp(path.join(tmpdir(), `calsync-${kind}-`));
  const port = await freePort();
  let args: string[];
  if (kind === 'radicale') {
    await writeFile(path.join(dir, 'config'), radicaleConfig(dir, port));
    args = ['--config', path.join(dir, 'config')];
  } else {
    args = ['-d', path.join(dir, 'data'), '-l', '127.0.0.1', '-p', String(port), '--autocreate'];
  }
  const child = spawn(BINARIES[kind], args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const url = `http://127.0.0.1:${port}/`;
  // A test process that dies without its after hooks still takes this server with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(child, kind === 'xandikos' ? `${url}health` : url, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const username = kind === 'radicale' ? 'calsync' : 'user';
  return {
    kind,
    url,
    username,
    password: 'secret',
    homePath: kind === 'radicale' ? `/${username}/` : '/user/calendars/',
    storageDir: kind === 'radicale' ? path.join(dir, 'collections') : null,
    pid: child.pid!,
    stop,
  };
}

function basic(server: CalDavServer): string {
  return `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`;
}

/** MKCALENDAR a fresh event calendar; returns its collection path. */
export async function makeCalendar(server: CalDavServer, displayName = 'Test calendar'): Promise<string> {
  const collection = `${server.homePath}${randomUUID()}/`;
  const escaped = displayName.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const body = `<?xml version="1.0" encoding="utf-8"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:a="http://apple.com/ns/ical/"><d:set><d:prop><d:displayname>${escaped}</d:displayname><a:calendar-color>#1E90FFFF</a:calendar-color><c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>`;
  const response = await fetch(new URL(collection, server.url), { method: 'MKCALENDAR', headers: { authorization: basic(server), 'content-type': 'application/xml' }, body });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`MKCALENDAR ${collection} on ${server.kind}: ${response.status} ${text}`);
  return collection;
}

/** What another CalDAV client does: a plain PUT, DELETE or GET, unconditional unless `extraHeaders` say (If-Match). */
export async function rawRequest(server: CalDavServer, method: 'PUT' | 'DELETE' | 'GET', href: string, body?: string, extraHeaders: Record<string, string> = {}): Promise<{ status: number; etag: string | null; text: string }> {
  const headers: Record<string, string> = { ...extraHeaders, authorization: basic(server) };
  if (body !== undefined) headers['content-type'] = 'text/calendar; charset=utf-8';
  const response = await fetch(new URL(href, server.url), { method, headers, body });
  return { status: response.status, etag: response.headers.get('etag'), text: await response.text() };
}

/** Forgets every sync-token Radicale handed out for this collection (its tokens then fail as after expiry). */
export async function expireRadicaleTokens(server: CalDavServer, collection: string): Promise<void> {
  if (server.storageDir === null) throw new Error(`${server.kind} keeps no token states`);
  await rm(path.join(server.storageDir, 'collection-root', collection, '.Radicale.cache', 'sync-token'), { recursive: true, force: true });
}

/** A calendar object as another CalDAV client writes it: its own PRODID, CRLF lines. */
export function otherClientCalendar(lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//other//client//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
}

/** Europe/Berlin as clients write it in a VTIMEZONE (the EU rules since 1996). */
export const berlinTimezone = ['BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:STANDARD', 'DTSTART:19701025T030000', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'END:STANDARD', 'BEGIN:DAYLIGHT', 'DTSTART:19700329T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'END:DAYLIGHT', 'END:VTIMEZONE'];

/** An event as another CalDAV client writes it: no calsync stamp, its own PRODID. */
export function otherClientEvent(uid: string, summary = 'Written by another client'): string {
  return otherClientCalendar(['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20260101T000000Z',
    'DTSTART:20260302T090000Z', 'DTEND:20260302T093000Z', `SUMMARY:${summary}`, 'END:VEVENT']);
}
