// A browser-like client of a server in another process, over real HTTP: one cookie jar (a
// cookie the server clears or expires is dropped), JSON answers parsed. It does not depend on the
// test runner, so the benchmarks use it too; helper.ts's Visitor uses it in its HTTP mode.
export interface HttpAnswer<T = unknown> {
  status: number;
  /** The parsed JSON answer; undefined for anything else (a captcha image). */
  body: T;
  headers: Headers;
}

export function httpVisitor(base = '', options: { cookies?: Map<string, string>; timeoutMs?: number } = {}) {
  const cookies = options.cookies ?? new Map<string, string>();
  async function request<T = unknown>(method: string, route: string, payload?: object): Promise<HttpAnswer<T>> {
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { body: JSON.stringify(payload) } : {}),
      ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
    });
    for (const header of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expires = attributes.find((a) => a.toLowerCase().startsWith('expires='));
      const expired = value === '' || (expires && new Date(expires.slice(8)).getTime() <= Date.now());
      if (expired) cookies.delete(name);
      else cookies.set(name, value);
    }
    const text = await res.text();
    const isJson = String(res.headers.get('content-type') ?? '').startsWith('application/json');
    return { status: res.status, body: isJson ? JSON.parse(text) : (undefined as T), headers: res.headers };
  }
  return {
    cookies,
    request,
    get: <T = unknown>(route: string) => request<T>('GET', route),
    post: <T = unknown>(route: string, payload?: object) => request<T>('POST', route, payload),
  };
}
