// The captcha picture with its "New image" button. Clicking the picture also refreshes it, as on
// the seed's page; the button is the keyboard and screen-reader way to do the same.
import { useState } from 'react';
import { useLanguage } from '../../i18n/locale';

export function CaptchaImage({ src, onRefresh }: { src: string | undefined; onRefresh(): void }) {
  const [failedSrc, setFailedSrc] = useState<string | null>(null);
  const { ui } = useLanguage();

  return (
    <div className="captcha">
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: the "New image" button beside it is the keyboard path. */}
      <img
        className="captcha-image"
        src={src}
        alt={ui.captcha.alt}
        width={160}
        height={56}
        title={ui.captcha.title}
        // No src yet: /register's first image is still arriving (use-captcha.ts).
        aria-busy={src === undefined || undefined}
        onClick={onRefresh}
        onError={() => setFailedSrc(src ?? null)}
      />
      <button type="button" className="button button-secondary" onClick={onRefresh}>
        {ui.captcha.newImage}
      </button>
      {failedSrc === src ? (
        <p className="field-message" data-tone="error">
          {ui.captcha.failed}
        </p>
      ) : null}
    </div>
  );
}
