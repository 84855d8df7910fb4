// The early captcha image (src/early/early-captcha.js) handed to the first form: shown as it is,
// replaced when it failed, and never raced by a newer image while it is still being issued.
import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const EARLY = 'data:image/png;base64,iVBORw0KGgo=';

/** What the early script hands over, settling when `resolve` is called. */
function earlyCaptcha() {
  const image = deferred<string | null>();
  const early = { url: undefined as string | null | undefined, image: image.promise };
  return {
    early,
    resolve: (url: string | null) => {
      early.url = url;
      image.resolve(url);
    },
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function loadHook() {
  vi.resetModules(); // the early image is taken once per page load: a fresh module per test
  return (await import('./use-captcha')).useCaptcha;
}

describe('useCaptcha', () => {
  beforeEach(() => {
    window.__earlyCaptcha = undefined;
  });
  afterEach(() => {
    window.__earlyCaptcha = undefined;
  });

  it('without an early image, asks for one at once and for a new one on refresh', async () => {
    const useCaptcha = await loadHook();
    const { result } = renderHook(() => useCaptcha());
    const first = result.current.src;
    expect(first).toMatch(/^\/api\/image_code\/\?rand=/);
    act(() => result.current.refresh());
    expect(result.current.src).toMatch(/^\/api\/image_code\/\?rand=/);
    expect(result.current.src).not.toBe(first);
    // Taken (nothing was there): an early script running only now fetches nothing.
    expect(window.__earlyCaptcha).toBeNull();
  });

  it('shows the early image once it has arrived, and only to the first form', async () => {
    const early = earlyCaptcha();
    window.__earlyCaptcha = early.early;
    const useCaptcha = await loadHook();
    const { result } = renderHook(() => useCaptcha());
    expect(result.current.src).toBeUndefined();
    await act(async () => early.resolve(EARLY));
    expect(result.current.src).toBe(EARLY);
    expect(window.__earlyCaptcha).toBeNull();

    const second = renderHook(() => useCaptcha());
    expect(second.result.current.src).toMatch(/^\/api\/image_code\/\?rand=/);
  });

  it('asks for its own image when the early one failed', async () => {
    const early = earlyCaptcha();
    window.__earlyCaptcha = early.early;
    const useCaptcha = await loadHook();
    const { result } = renderHook(() => useCaptcha());
    await act(async () => early.resolve(null));
    expect(result.current.src).toMatch(/^\/api\/image_code\/\?rand=/);
  });

  it('shows an early image that has already arrived in its first render', async () => {
    window.__earlyCaptcha = { url: EARLY, image: Promise.resolve(EARLY) };
    const useCaptcha = await loadHook();
    const { result } = renderHook(() => useCaptcha());
    expect(result.current.src).toBe(EARLY);
    act(() => result.current.refresh());
    expect(result.current.src).toMatch(/^\/api\/image_code\/\?rand=/);
  });

  it('asks at once when the early one has already failed', async () => {
    window.__earlyCaptcha = { url: null, image: Promise.resolve(null) };
    const useCaptcha = await loadHook();
    const { result } = renderHook(() => useCaptcha());
    expect(result.current.src).toMatch(/^\/api\/image_code\/\?rand=/);
  });

  it('a refresh while the early image is on its way waits for it, then asks for a new one', async () => {
    const early = earlyCaptcha();
    window.__earlyCaptcha = early.early;
    const useCaptcha = await loadHook();
    const { result } = renderHook(() => useCaptcha());
    act(() => result.current.refresh());
    // Asked now, the new image could be issued before the early one, whose answer would then
    // stand in the session under the new picture.
    expect(result.current.src).toBeUndefined();
    const other = renderHook(() => useCaptcha());
    expect(other.result.current.src).toBeUndefined();

    await act(async () => early.resolve(EARLY));
    expect(result.current.src).toMatch(/^\/api\/image_code\/\?rand=/); // the refresh, not the early image
    expect(other.result.current.src).toMatch(/^\/api\/image_code\/\?rand=/);
  });
});
