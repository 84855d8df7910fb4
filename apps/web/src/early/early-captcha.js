// Loaded by index.html beside the app's script (see early-captcha-plugin.ts): on /register, the
// captcha image is fetched now, while the much larger app script is still on its way. The app
// takes it from window.__earlyCaptcha: `image` settles with a data: URL, or null when the fetch
// failed or took over 10 s (the form then asks for its own); `url` is that value once known.
(() => {
  const url = document.currentScript?.dataset.url;
  // Not when the app has already begun (it marks that with null), which then asks for its own.
  if (!url || window.__earlyCaptcha !== undefined || !/^\/register\/*$/.test(location.pathname)) return;
  const early = { url: undefined, image: null };
  const signal = typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(10_000) : undefined;
  early.image = fetch(`${url}?rand=early-${Date.now().toString(36)}`, { credentials: 'same-origin', signal })
    .then((response) =>
      response.ok && (response.headers.get('content-type') ?? '').startsWith('image/') ? response.blob() : null,
    )
    .then(
      (blob) =>
        blob &&
        new Promise((resolve) => {
          const reader = new FileReader();
          reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : null);
          reader.onerror = () => resolve(null);
          reader.readAsDataURL(blob);
        }),
    )
    .catch(() => null)
    .then((image) => {
      early.url = image;
      return image;
    });
  window.__earlyCaptcha = early;
})();
