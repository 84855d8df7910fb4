// Renders deploy/nginx/nginx.conf.template into a directory, for the SPA's Docker image (and for
// a look at what `pnpm start` runs):
//   node deploy/nginx/render.ts --out DIR [--name nginx.conf] --listen 8080 --root DIR --api HOST:PORT
//     --prefix DIR [--tls-listen 8443 --tls-cert FILE --tls-key FILE] [--brotli | --no-brotli]
//     [--error-log stderr] [--access-log /dev/stdout]
import { parseArgs } from 'node:util';
import { type NginxOptions, writeNginxFiles } from './nginx-config.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    name: { type: 'string', default: 'nginx.conf' },
    listen: { type: 'string' },
    root: { type: 'string' },
    api: { type: 'string' },
    prefix: { type: 'string' },
    'tls-listen': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    brotli: { type: 'boolean' },
    'no-brotli': { type: 'boolean' },
    'error-log': { type: 'string' },
    'access-log': { type: 'string' },
  },
});
const required = ['out', 'listen', 'root', 'api', 'prefix'] as const;
const missing = required.filter((key) => !values[key]);
if (missing.length) {
  console.error(`render.ts: missing ${missing.map((k) => `--${k}`).join(', ')}`);
  process.exit(2);
}
const tlsListen = values['tls-listen'];
const options: NginxOptions = {
  listen: values.listen ?? '',
  root: values.root ?? '',
  apiUpstream: values.api ?? '',
  prefix: values.prefix ?? '',
  user: null,
  ...(values.brotli ? { brotli: true } : values['no-brotli'] ? { brotli: false } : {}),
  ...(values['error-log'] ? { errorLog: values['error-log'] } : {}),
  ...(values['access-log'] ? { accessLog: values['access-log'] } : {}),
  ...(tlsListen
    ? { tls: { listen: tlsListen, certificate: values['tls-cert'] ?? '', key: values['tls-key'] ?? '', redirect: true } }
    : {}),
};
console.log(`wrote ${writeNginxFiles(options, values.out ?? '', values.name)}`);
