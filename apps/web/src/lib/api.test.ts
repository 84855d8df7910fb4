import { Code } from '@register/contracts';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { server } from '../mocks/server';
import { ApiError, api, CANNOT_REACH_SERVER, captchaUrl } from './api';

async function failureOf(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('api client', () => {
  it('resolves with the envelope data on success', async () => {
    await expect(api.checkUsername('alice_1')).resolves.toEqual({ username: 'alice_1', count: 1 });
    await expect(api.checkMobile('13612345678')).resolves.toEqual({ mobile: '13612345678', count: 0 });
  });

  it('turns an error envelope into an ApiError with errno, status and fields', async () => {
    const error = await failureOf(api.checkUsername('ab'));
    expect(error.errno).toBe(Code.PARAMERR);
    expect(error.status).toBe(400);
    expect(error.fields.username).toBe('Username must be 5-20 letters, digits or underscores.');
    expect(error.isNetworkError).toBe(false);
  });

  it('reads retryAfter from the error data', async () => {
    server.use(
      http.post('/api/user/login/', () =>
        HttpResponse.json({ errno: Code.THROTTLED, errmsg: 'Slow down.', data: { retryAfter: 42 } }, { status: 429 }),
      ),
    );
    const error = await failureOf(api.login({ account: 'alice_1', password: 'x' }));
    expect(error).toMatchObject({ errno: Code.THROTTLED, status: 429, retryAfter: 42, message: 'Slow down.' });
  });

  it('reports a network failure as an ApiError with a friendly message', async () => {
    server.use(http.get('/api/user/me/', () => HttpResponse.error()));
    const error = await failureOf(api.me());
    expect(error).toMatchObject({ status: 0, message: CANNOT_REACH_SERVER });
    expect(error.isNetworkError).toBe(true);
  });

  it('treats a non-envelope gateway error as an unreachable server', async () => {
    server.use(http.get('/api/user/me/', () => new HttpResponse('<h1>Bad gateway</h1>', { status: 502 })));
    const error = await failureOf(api.me());
    expect(error).toMatchObject({ status: 502, errno: Code.UNKOWNERR, message: CANNOT_REACH_SERVER });
  });

  it('sends JSON with the session cookie policy and no body when there is none', async () => {
    const seen: { contentType: string | null; body: string; credentials: RequestCredentials }[] = [];
    server.use(
      http.post('/api/user/logout/', async ({ request }) => {
        seen.push({
          contentType: request.headers.get('content-type'),
          body: await request.text(),
          credentials: request.credentials,
        });
        return HttpResponse.json({ errno: Code.OK, errmsg: 'Logged out.', data: null });
      }),
    );
    await expect(api.logout()).resolves.toBeNull();
    expect(seen).toEqual([{ contentType: null, body: '', credentials: 'same-origin' }]);
  });

  it('lets an aborted request reject with the AbortError, not an ApiError', async () => {
    const controller = new AbortController();
    const pending = api.checkUsername('alice_1', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('builds the captcha URL from the route table', () => {
    expect(captchaUrl('abc 1')).toBe('/api/image_code/?rand=abc+1');
  });
});
