// WebDAV XML, namespace-aware: small documents parsed whole, multistatus bodies parsed
// as a stream so a listing never holds more than the responses a page asks for.
// sax resolves prefixes, so `ns0:valid-sync-token` (Xandikos), a default-namespace
// `<valid-sync-token/>` (Radicale) and `d:valid-sync-token` (sabre) all read as one name.
import sax from 'sax';

export const DAV = 'DAV:';
export const CALDAV = 'urn:ietf:params:xml:ns:caldav';
export const CALSERVER = 'http://calendarserver.org/ns/';
export const APPLE_ICAL = 'http://apple.com/ns/ical/';

export interface XmlElement {
  ns: string;
  local: string;
  attributes: Record<string, string>;
  /** The element's own text (CDATA included), entities decoded, untrimmed. */
  text: string;
  children: XmlElement[];
}

export class XmlError extends Error {
  override readonly name = 'XmlError';
}

/**
 * Longest text of one element: far above any real event (the bench workload's largest
 * is about 3 KB), and a bound on what one endless element of a bad answer can cost.
 */
const MAX_TEXT = 16 * 1024 * 1024;

interface Handlers {
  /** Sees each element as it starts, before its content, with its depth (root is 0). */
  onOpen?: (element: XmlElement, depth: number) => void;
  /** Sees each element as it ends. */
  onClose: (element: XmlElement, depth: number) => void;
  /** Whether elements at this depth collect their text and children. */
  keep: (depth: number) => boolean;
  /** Whether elements at this depth are attached to their parent (default: `keep`). */
  attach?: (depth: number) => boolean;
}

function makeParser({ onOpen, onClose, keep, attach = keep }: Handlers) {
  const stack: XmlElement[] = [];
  let failure: Error | null = null;
  let depth = -1;
  const parser = sax.parser(true, { xmlns: true });
  parser.onopentag = (tag) => {
    depth++;
    const attributes: Record<string, string> = {};
    for (const attribute of Object.values(tag.attributes)) if (attribute.prefix !== 'xmlns' && attribute.name !== 'xmlns') attributes[attribute.local] = attribute.value;
    const element: XmlElement = { ns: tag.uri, local: tag.local, attributes, text: '', children: [] };
    if (attach(depth)) stack[stack.length - 1]?.children.push(element);
    stack.push(element);
    onOpen?.(element, depth);
  };
  const text = (value: string) => {
    const top = stack[stack.length - 1];
    if (top === undefined || !keep(depth)) return;
    if (top.text.length + value.length > MAX_TEXT) throw new XmlError(`{${top.ns}}${top.local} holds more than ${MAX_TEXT} characters`);
    top.text += value;
  };
  parser.ontext = text;
  parser.oncdata = text;
  parser.onclosetag = () => {
    const element = stack.pop()!;
    onClose(element, depth);
    depth--;
  };
  parser.onerror = (error) => {
    failure ??= error;
    throw new XmlError(`not well-formed XML: ${error.message.split('\n')[0]}`);
  };
  return {
    write(chunk: string) {
      if (failure === null) parser.write(chunk);
    },
    close() {
      if (failure === null) parser.close();
    },
  };
}

export function parseXml(text: string): XmlElement {
  let root: XmlElement | null = null;
  const parser = makeParser({
    onClose: (element, depth) => {
      if (depth === 0) root = element;
    },
    keep: () => true,
  });
  parser.write(text);
  parser.close();
  if (root === null) throw new XmlError('no XML element in the body');
  return root;
}

export function child(element: XmlElement | null | undefined, ns: string, local: string): XmlElement | null {
  return element?.children.find((c) => c.ns === ns && c.local === local) ?? null;
}

export function children(element: XmlElement | null | undefined, ns: string, local: string): XmlElement[] {
  return element?.children.filter((c) => c.ns === ns && c.local === local) ?? [];
}

/** The first element with this name at any depth, the element itself included. */
export function descendant(element: XmlElement | null | undefined, ns: string, local: string): XmlElement | null {
  if (!element) return null;
  if (element.ns === ns && element.local === local) return element;
  for (const c of element.children) {
    const found = descendant(c, ns, local);
    if (found) return found;
  }
  return null;
}

/** The last line of a multistatus: RFC 6578's sync-token, wherever the server put it. */
export interface MultistatusTail {
  syncToken: string | null;
}

/**
 * Yields each DAV:response of a multistatus body as it completes. Reading stops while
 * the consumer holds a response, so memory is one network chunk plus unconsumed
 * responses; the HTTP connection waits meanwhile. Radicale writes sync-token before
 * the responses, Xandikos after them: both end up in the return value.
 */
export async function* streamMultistatus(body: AsyncIterable<Uint8Array>): AsyncGenerator<XmlElement, MultistatusTail, undefined> {
  const ready: XmlElement[] = [];
  const tail: MultistatusTail = { syncToken: null };
  let rootSeen = false;
  const parser = makeParser({
    onOpen: (element, depth) => {
      if (depth > 0) return;
      rootSeen = true;
      if (element.ns !== DAV || element.local !== 'multistatus') throw new XmlError(`expected a DAV:multistatus, got {${element.ns}}${element.local}`);
    },
    onClose: (element, depth) => {
      if (depth !== 1 || element.ns !== DAV) return;
      if (element.local === 'response') ready.push(element);
      if (element.local === 'sync-token') tail.syncToken = element.text.trim();
    },
    keep: (depth) => depth >= 1,
    // Responses are handed on, not kept under the root: a listing holds one at a time.
    attach: (depth) => depth >= 2,
  });
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of body) {
    parser.write(decoder.decode(chunk, { stream: true }));
    while (ready.length > 0) yield ready.shift()!;
  }
  parser.write(decoder.decode());
  parser.close();
  while (ready.length > 0) yield ready.shift()!;
  if (!rootSeen) throw new XmlError('empty body where a multistatus was expected');
  return tail;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
