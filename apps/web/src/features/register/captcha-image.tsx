// The captcha picture with its "New image" button. Clicking the picture also refreshes it, as on
// the seed's page; the button is the keyboard and screen-reader way to do the same.
import { useState } from 'react';

export const CAPTCHA_ALT = 'Image code: type the characters shown';

export function CaptchaImage({ src, onRefresh }: { src: string; onRefresh(): void }) {
  const [failedSrc, setFailedSrc] = useState<string | null>(null);

  return (
    <div className="captcha">
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: the "New image" button beside it is the keyboard path. */}
      <img
        className="captcha-image"
        src={src}
        alt={CAPTCHA_ALT}
        width={160}
        height={56}
        title="Click for a new image"
        onClick={onRefresh}
        onError={() => setFailedSrc(src)}
      />
      <button type="button" className="button button-secondary" onClick={onRefresh}>
        New image
      </button>
      {failedSrc === src ? (
        <p className="field-message" data-tone="error">
          The image could not be loaded. Try “New image”.
        </p>
      ) : null}
    </div>
  );
}
