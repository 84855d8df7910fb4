// The captcha image's address. Each refresh gets a new `rand`, so the browser cannot reuse a
// cached image and the API issues (and remembers) a new answer for this session.
import { useCallback, useState } from 'react';
import { captchaUrl } from '../../lib/api';

let issued = 0;
const newRand = () => `${Date.now().toString(36)}-${++issued}`;

export function useCaptcha(): { src: string; refresh(): void } {
  const [rand, setRand] = useState(newRand);
  const refresh = useCallback(() => setRand(newRand()), []);
  return { src: captchaUrl(rand), refresh };
}
