// The early-captcha plugin (early-captcha-plugin.ts) in real Vite builds, with the SPA's config
// and page and a stand-in app: a production build carries the script (hashed under assets/,
// after <meta charset> and before the module scripts, with the captcha's address); the mock
// build, whose API lives in a service worker that script would run before, does not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';

const WEB_CONFIG = path.join(import.meta.dirname, '../../vite.config.ts');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'early-captcha-'));
// The SPA's own page, with a stand-in for its app.
fs.copyFileSync(path.join(import.meta.dirname, '../../index.html'), path.join(root, 'index.html'));
fs.mkdirSync(path.join(root, 'src'));
fs.writeFileSync(path.join(root, 'src/main.tsx'), "import './app';\n");
fs.writeFileSync(path.join(root, 'src/app.ts'), 'document.title = "app";\n');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function builtPage(mode: string) {
  const outDir = path.join(root, `dist-${mode}`);
  await build({ root, mode, logLevel: 'silent', configFile: WEB_CONFIG, build: { outDir, emptyOutDir: true } });
  return { html: fs.readFileSync(path.join(outDir, 'index.html'), 'utf8'), assets: fs.readdirSync(path.join(outDir, 'assets')) };
}

describe('earlyCaptcha (Vite plugin)', () => {
  it('puts the script before the app in a production build, under a hashed name', async () => {
    const { html, assets } = await builtPage('production');
    const tag = html.match(
      /<script async fetchpriority="high" src="\/assets\/(early-captcha-[\w-]{8}\.js)" data-url="\/api\/image_code\/"><\/script>/,
    );
    expect(tag).not.toBeNull();
    expect(assets).toContain(tag?.[1]);
    expect(html.indexOf('early-captcha-')).toBeGreaterThan(html.indexOf('<meta charset'));
    expect(html.indexOf('early-captcha-')).toBeLessThan(html.indexOf('<script type="module"'));
  });

  it('leaves the mock build without it', async () => {
    const { html, assets } = await builtPage('mock');
    expect(html).not.toContain('early-captcha');
    expect(assets.some((name) => name.startsWith('early-captcha'))).toBe(false);
  });
});
