// The captcha image's address. Each refresh gets a new `rand`, so the browser cannot reuse a
// cached image and the API issues (and remembers) a new answer for this session. On /register's
// first load the image may already be on its way (src/early/early-captcha.js): the first form
// shows that one instead of asking again.
import { useCallback, useEffect, useRef, useState } from 'react';
import { captchaUrl } from '../../lib/api';

/** What src/early/early-captcha.js hands over: its image (a data: URL, or null when it failed). */
interface EarlyCaptcha {
  image: Promise<string | null>;
  /** The image's value once it has settled. */
  url: string | null | undefined;
}

declare global {
  interface Window {
    /** Null once taken, so the early script, should it run after the app, fetches nothing. */
    __earlyCaptcha?: EarlyCaptcha | null;
  }
}

let issued = 0;
const newRand = () => `${Date.now().toString(36)}-${++issued}`;

/**
 * The early image's request until it is answered. The session keeps the answer of the image
 * issued last, so no other image is asked for meanwhile: it could be issued first and then
 * shown with the early one's answer in force.
 */
let earlyPending: Promise<unknown> | null = null;

/**
 * The form's first image: the early one (to the first form that asks, once per page load), at
 * once when it has arrived; `src` undefined while there is one to wait for.
 */
function firstImage(): { src: string | undefined; wait: Promise<string | null> | null } {
  const early = window.__earlyCaptcha ?? null;
  window.__earlyCaptcha = null;
  if (early && early.url !== undefined) return { src: early.url ?? captchaUrl(newRand()), wait: null };
  if (early) {
    const pending = early.image;
    earlyPending = pending;
    const done = () => {
      if (earlyPending === pending) earlyPending = null;
    };
    void pending.then(done, done);
    return { src: undefined, wait: pending };
  }
  return { src: earlyPending ? undefined : captchaUrl(newRand()), wait: null };
}

export function useCaptcha(): { src: string | undefined; refresh(): void } {
  const [first] = useState(firstImage);
  const [src, setSrc] = useState(first.src);
  const latest = useRef(0);

  /** Shows `image` (the early one) or, without it, a new image; the last call wins. */
  const load = useCallback((image: Promise<string | null> | null) => {
    const turn = ++latest.current;
    const settle = (url: string | null) => {
      if (turn === latest.current) setSrc(url ?? captchaUrl(newRand()));
    };
    const next = () => settle(null);
    if (image) void image.then(settle, next);
    else if (earlyPending) void earlyPending.then(next, next);
    else settle(null);
  }, []);

  useEffect(() => {
    if (first.src === undefined) load(first.wait);
  }, [first, load]);
  const refresh = useCallback(() => load(null), [load]);
  return { src, refresh };
}
