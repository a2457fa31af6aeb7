// calsync's own HTTP API as the sandbox calls it: the admin routes to connect and bind,
// the calendar routes to read and edit, with the sandbox tenant's key. Nothing here
// reaches the store directly: the sandbox does what an app or an operator would.
export interface Api {
  readonly url: string;
  call<T = any>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

export function calsyncApi(url: string, key: string): Api {
  return {
    url,
    async call(method, path, body) {
      const response = await fetch(new URL(path, url), {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
      return (text ? JSON.parse(text) : undefined) as never;
    },
  };
}
