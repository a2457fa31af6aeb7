// Last-modified instants as providers write them (ISO 8601 with 0 to 7 fraction digits:
// CalDAV none, Google 3, Graph 7), compared as instants rather than as strings.

/** Whether `a` is surely before `b`. Unknown or unreadable is never older. */
export function isOlder(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const [x, y] = [Date.parse(a), Date.parse(b)];
  return Number.isFinite(x) && Number.isFinite(y) && x < y;
}

/** The later of two instants; `a` when neither is surely later. */
export function newest(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return isOlder(a, b) ? b : a;
}
