// Google's batch form (developers.google.com/calendar/api/guides/batch): a multipart/mixed
// body whose parts are each `Content-Type: application/http` with an optional Content-ID,
// holding one HTTP request: "its own verb, URL, headers, and body", the URL as a path.
// The answer is multipart/mixed too, one part per request in the same order, each a whole
// HTTP response (status line, headers, body) under `Content-ID: <response-ID>` for the
// request's `<ID>`; clients match parts by that, not by order (Google's Python client
// splits `<response-BASE + ID>` at " + " and needs a reason phrase on the status line).
import { randomBytes } from 'node:crypto';
import { CalsyncError } from '../errors.ts';
import { parseHeaderLines, splitHead, writeMultipart, type MimePart } from './batch-multipart.ts';
import { reasonPhrase, type BatchItemRequest, type BatchItemResult } from './batch-items.ts';

export interface GoogleBatchPart {
  /** The part's Content-ID as sent, angle brackets included; null when it had none. */
  contentId: string | null;
  item: BatchItemRequest | CalsyncError;
}

/** The request in an application/http part: `METHOD target [HTTP/1.1]`, headers, body. */
export function parseHttpRequest(text: string): BatchItemRequest {
  const { head, rest } = splitHead(text.replace(/^(?:\r?\n)+/, ''));
  const [requestLine, ...headerLines] = head;
  const match = /^([A-Za-z]+)\s+(\S+)(?:\s+HTTP\/\d(?:\.\d)?)?\s*$/.exec(requestLine ?? '');
  if (!match) throw new CalsyncError('INVALID_REQUEST', `the part does not start with a request line such as "GET /calendar/v3/users/me/calendarList": ${JSON.stringify((requestLine ?? '').slice(0, 80))}`);
  return { method: match[1]!, target: match[2]!, headers: parseHeaderLines(headerLines), body: rest.trim() === '' ? undefined : rest };
}

function itemOf(part: MimePart): BatchItemRequest | CalsyncError {
  const type = part.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/http') return new CalsyncError('INVALID_REQUEST', `a batch part must be Content-Type: application/http, not ${type ?? 'none'}`);
  try {
    return parseHttpRequest(part.body);
  } catch (error) {
    return error as CalsyncError;
  }
}

export function googleBatchParts(parts: MimePart[]): GoogleBatchPart[] {
  return parts.map((part) => ({ contentId: part.headers['content-id'] ?? null, item: itemOf(part) }));
}

/** `<ID>` → `<response-ID>`, as Google answers; an id without brackets keeps none. */
export function responseContentId(contentId: string): string {
  const bracketed = /^<(.*)>$/.exec(contentId);
  return bracketed ? `<response-${bracketed[1]}>` : `response-${contentId}`;
}

function httpResponse(result: BatchItemResult): string {
  const headers: string[] = [];
  if (result.headers['content-type']) headers.push(`Content-Type: ${result.headers['content-type']}`);
  if (result.headers.etag) headers.push(`ETag: ${result.headers.etag}`);
  headers.push(`Content-Length: ${Buffer.byteLength(result.body)}`);
  return `HTTP/1.1 ${result.status} ${reasonPhrase(result.status)}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${result.body}`;
}

/** The multipart/mixed answer: one part per request, in the requests' order. */
export function googleBatchResponse(parts: GoogleBatchPart[], results: BatchItemResult[]): { contentType: string; body: string } {
  const boundary = `batch_${randomBytes(12).toString('base64url')}`;
  const mime = parts.map((part, i): MimePart => ({
    headers: { 'Content-Type': 'application/http', ...(part.contentId ? { 'Content-ID': responseContentId(part.contentId) } : {}) },
    body: httpResponse(results[i]!),
  }));
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: writeMultipart(mime, boundary) };
}
