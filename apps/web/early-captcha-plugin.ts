// A Vite plugin for production builds: a small script beside the app's, src/early/early-captcha.js,
// that on /register fetches the captcha image at once. On a slow line the app's script (90 kB)
// takes most of a second to arrive and run, and only then did the form ask for its image, one
// more round trip: now the image is there when the form first renders (README, The SPA).
//
// A classic `async` script, so it runs as soon as it arrives (a module script would wait for the
// document to be parsed) and can read its own tag's data-url; served from /assets under a name
// with its content's hash, like every other asset (cached for a year). The image comes back as a
// data: URL, which the page's Content-Security-Policy already allows (img-src 'self' data:),
// handed over in window.__earlyCaptcha (src/features/register/use-captcha.ts).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { API_PREFIX, routes } from '@register/contracts';
import type { Plugin } from 'vite';

const SOURCE = path.join(import.meta.dirname, 'src/early/early-captcha.js');

export function earlyCaptcha(): Plugin {
  let source = '';
  let fileName = '';
  let base = '/';
  return {
    name: 'register:early-captcha',
    apply: 'build',
    configResolved(config) {
      // The mock build answers /api in a service worker, which this script would run before.
      if (config.mode === 'mock') return;
      base = config.base;
      source = fs.readFileSync(SOURCE, 'utf8');
      const hash = createHash('sha256').update(source).digest('base64url').slice(0, 8);
      fileName = `${config.build.assetsDir}/early-captcha-${hash}.js`;
    },
    generateBundle() {
      if (fileName) this.emitFile({ type: 'asset', fileName, source });
    },
    // Before the app's module scripts, and fetched at high priority: as a low-priority async
    // script, Chromium may hold it back until the head's scripts are in.
    transformIndexHtml(html) {
      if (!fileName) return html;
      const tag = `<script async fetchpriority="high" src="${base}${fileName}" data-url="${API_PREFIX}${routes.imageCode.path}"></script>`;
      const at = html.indexOf('<script type="module"');
      return at === -1 ? html.replace('</head>', `${tag}\n</head>`) : `${html.slice(0, at)}${tag}\n    ${html.slice(at)}`;
    },
  };
}
