// The named server-sent events of a calendar's event stream as they arrive, for tests
// that watch what the app tells its clients.
import http from 'node:http';

export interface EventStream {
  events: Array<{ event: string; data: string }>;
  close(): void;
}

export function eventStream(url: string, headers: Record<string, string>): EventStream {
  const events: Array<{ event: string; data: string }> = [];
  const request = http.get(url, { headers: { ...headers, accept: 'text/event-stream' } }, (response) => {
    let buffer = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const fields = new Map(buffer.slice(0, end).split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as const));
        buffer = buffer.slice(end + 2);
        if (fields.has('event')) events.push({ event: fields.get('event')!, data: fields.get('data') ?? '' });
      }
    });
  });
  request.on('error', () => undefined);
  return { events, close: () => request.destroy() };
}
