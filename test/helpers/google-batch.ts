// Batch bodies as Google clients write them, and a reader of batch answers that expects
// what Google's Python client (googleapiclient/http.py, BatchHttpRequest) expects. Written
// apart from calsync's own parser, so a test does not check the code with itself.

export interface BatchCall {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * The layout of the example in developers.google.com/calendar/api/guides/batch: CRLF
 * lines, each part `Content-Type: application/http` and `Content-ID: <itemN:...>`, a
 * request line without an HTTP version, then the request's headers and JSON body.
 */
export function docsBatch(calls: BatchCall[], boundary = 'batch_foobarbaz'): { contentType: string; body: string; ids: string[] } {
  const ids = calls.map((_, i) => `item${i + 1}:12930812@barnyard.example.com`);
  const parts = calls.map((call, i) => {
    const body = call.body === undefined ? '' : JSON.stringify(call.body, null, 2);
    const headers = { ...(call.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...call.headers };
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    return `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <${ids[i]}>\r\n\r\n${call.method} ${call.path}\r\n${head}\r\n${body}\r\n`;
  });
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: `${parts.join('')}--${boundary}--`, ids };
}

/**
 * The layout Google's Python client sends: Python's email generator (bare LF lines), a
 * quoted `===…==` boundary, Content-IDs `<BASE + N>`, `Content-Transfer-Encoding: binary`,
 * and a full request inside (`HTTP/1.1`, `?alt=json`, Host, Authorization, content-length).
 */
export function pythonClientBatch(calls: BatchCall[], authorization: string): { contentType: string; body: string; ids: string[] } {
  const boundary = '===============7330845974216740156==';
  const base = '6d0f3a5e-2c1b-4b8e-9d55-0a4e1f2b7c90';
  const ids = calls.map((_, i) => String(i + 1));
  const parts = calls.map((call, i) => {
    const body = call.body === undefined ? null : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json', 'MIME-Version': '1.0', accept: 'application/json', 'accept-encoding': 'gzip, deflate',
      'user-agent': '(gzip)', ...call.headers, authorization, Host: 'www.googleapis.com', ...(body === null ? {} : { 'content-length': String(body.length) }),
    };
    const separator = call.path.includes('?') ? '&' : '?';
    const request = `${call.method} ${call.path}${separator}alt=json HTTP/1.1\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join('')}\n${body ?? ''}`;
    return `--${boundary}\nContent-Type: application/http\nMIME-Version: 1.0\nContent-Transfer-Encoding: binary\nContent-ID: <${base} + ${ids[i]}>\n\n${request}`;
  });
  return { contentType: `multipart/mixed; boundary="${boundary}"`, body: `${parts.join('\n')}\n--${boundary}--\n`, ids };
}

export interface BatchAnswer {
  status: number;
  reason: string;
  headers: Record<string, string>;
  content: string;
}

/**
 * Reads a batch answer the way BatchHttpRequest._execute does: every part's Content-ID
 * must be `<...>` and hold "+" (or, for ids that had no base, is taken after
 * "response-"); `_deserialize_response` splits the status line at the first LF and then
 * at two spaces (so a reason phrase is needed), and takes the content after the first
 * CRLF CRLF (so that separator is needed even for an empty body).
 */
export function readBatchAnswer(contentType: string, body: string): Map<string, BatchAnswer> {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!contentType.startsWith('multipart/mixed') || !boundary) throw new Error(`not multipart/mixed: ${contentType}`);
  const sections = body.split(`--${boundary}`);
  if (!sections.at(-1)!.startsWith('--')) throw new Error('no closing delimiter');
  const answers = new Map<string, BatchAnswer>();
  for (const section of sections.slice(1, -1)) {
    const part = section.replace(/^\r\n/, '').replace(/\r\n$/, '');
    const split = part.indexOf('\r\n\r\n');
    const partHeaders = headerMap(part.slice(0, split));
    const payload = part.slice(split + 4);
    const contentId = partHeaders['content-id'];
    if (!contentId || contentId[0] !== '<' || contentId.at(-1) !== '>') throw new Error(`Invalid value for Content-ID: ${contentId}`);
    const inner = contentId.slice(1, -1);
    if (!inner.startsWith('response-')) throw new Error(`Content-ID without response-: ${contentId}`);
    const id = inner.includes(' + ') ? inner.split(' + ', 2)[1]! : inner.slice('response-'.length);
    const newline = payload.indexOf('\n');
    const statusLine = payload.slice(0, newline).replace(/\r$/, '');
    const [protocol, status, ...reason] = statusLine.split(' ');
    if (!protocol?.startsWith('HTTP/') || reason.length === 0) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const rest = payload.slice(newline + 1);
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`no CRLF CRLF after the headers of ${contentId}`);
    answers.set(id, { status: Number(status), reason: reason.join(' '), headers: headerMap(rest.slice(0, end)), content: rest.slice(end + 4) });
  }
  return answers;
}

function headerMap(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n').filter(Boolean)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
