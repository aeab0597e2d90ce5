// Builds the web console and the Swagger UI page into content-hashed files, compresses each with gzip and
// brotli, and writes them as a C++ source file that jobsessiond embeds: the server carries every byte it serves
// and asks no other origin for anything.
//
//   node build.mjs --out DIR        writes DIR/public/... (to look at) and DIR/web_assets.cpp
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const outIndex = process.argv.indexOf('--out');
if (outIndex < 0 || !process.argv[outIndex + 1]) {
  console.error('usage: node build.mjs --out DIR');
  process.exit(2);
}
const out = process.argv[outIndex + 1];
const publicDir = join(out, 'public');
rmSync(publicDir, { recursive: true, force: true });
mkdirSync(join(publicDir, 'assets'), { recursive: true });

const types = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
const typeOf = (name) => types[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';

// Every entry point is bundled with what it imports (the charting library, Swagger UI) into one script and one
// style sheet, named by the hash of their content so that a browser may keep them for a year.
const result = await build({
  absWorkingDir: here,
  entryPoints: { console: 'console/src/main.js', swagger: 'swagger/main.js' },
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  legalComments: 'linked',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  loader: { '.svg': 'file', '.png': 'file' },
  outdir: join(publicDir, 'assets'),
  metafile: true,
  logLevel: 'warning',
});

const assets = []; // { path, file, immutable }
const outputs = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  const name = basename(file);
  assets.push({ path: `/assets/${name}`, file: join(here, file), immutable: true });
  if (meta.entryPoint) {
    outputs[`${meta.entryPoint}`] = `/assets/${name}`;
    if (meta.cssBundle) {
      outputs[`${meta.entryPoint}:css`] = `/assets/${basename(meta.cssBundle)}`;
    }
  }
}

// The icon, hashed like the rest.
const icon = readFileSync(join(here, 'console/icon.svg'));
const iconName = `icon-${hashOf(icon).slice(0, 8)}.svg`;
writeFileSync(join(publicDir, 'assets', iconName), icon);
assets.push({ path: `/assets/${iconName}`, file: join(publicDir, 'assets', iconName), immutable: true });

// The pages name the hashed files; they themselves keep their addresses and are revalidated with an ETag.
function page(template, entry, path) {
  const html = readFileSync(join(here, template), 'utf8')
    .replaceAll('%SCRIPT%', outputs[entry])
    .replaceAll('%STYLE%', outputs[`${entry}:css`])
    .replaceAll('%ICON%', `/assets/${iconName}`);
  const file = join(publicDir, path === '/' ? 'index.html' : `${path.slice(1)}.html`);
  writeFileSync(file, html);
  assets.push({ path, file, immutable: false, type: types['.html'] });
}
page('console/index.html', 'console/src/main.js', '/');
page('swagger/index.html', 'swagger/main.js', '/swagger');

// The licences of the npm packages bundled into the scripts and style sheets above, and of what their own bundles
// carry (a `.LICENSE.txt` beside a bundled file), so that their notices go with every copy: served at /licenses.txt,
// which the console links to, and shipped in the Debian package's documents.
const bundledFrom = new Map(); // package directory -> the files of it that were bundled
for (const input of Object.keys(result.metafile.inputs)) {
  const root = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//)?.[1];
  if (root) {
    bundledFrom.set(root, [...(bundledFrom.get(root) ?? []), input]);
  }
}
// The Debian package's copyright file must name each of them: a package added here without it stops the build.
const copyright = readFileSync(join(here, '..', 'dist', 'debian', 'copyright'), 'utf8');
for (const root of bundledFrom.keys()) {
  if (!copyright.includes(`Files: web/${root}/*`)) {
    throw new Error(`${root} is bundled but dist/debian/copyright has no "Files: web/${root}/*" paragraph`);
  }
}
let licenses = 'Software by others that jobsessiond carries in its web console and its Swagger UI page, with its licence.\n';
for (const root of [...bundledFrom.keys()].sort()) {
  const pkg = JSON.parse(readFileSync(join(here, root, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(join(here, root)).find((name) => /^licen[cs]e(\.(md|txt))?$/i.test(name));
  if (!licenseFile) {
    throw new Error(`${pkg.name} is bundled but has no licence file to ship`);
  }
  licenses += `\n${'='.repeat(78)}\n${pkg.name} ${pkg.version} (${pkg.license})\n\n`;
  licenses += `${readFileSync(join(here, root, licenseFile), 'utf8').trim()}\n`;
  // An Apache-2.0 package's NOTICE goes with it (section 4(d)).
  const noticeFile = readdirSync(join(here, root)).find((name) => /^notice(\.(md|txt))?$/i.test(name));
  if (noticeFile) {
    licenses += `\nIts NOTICE:\n\n${readFileSync(join(here, root, noticeFile), 'utf8').trim()}\n`;
  }
  for (const input of bundledFrom.get(root).sort()) {
    if (existsSync(join(here, `${input}.LICENSE.txt`))) {
      licenses += `\n${'-'.repeat(78)}\nWhat ${basename(input)} of ${pkg.name} bundles in turn:\n\n`;
      licenses += `${readFileSync(join(here, `${input}.LICENSE.txt`), 'utf8').trim()}\n`;
    }
  }
}
writeFileSync(join(out, 'licenses.txt'), licenses);
assets.push({ path: '/licenses.txt', file: join(out, 'licenses.txt'), immutable: false, type: types['.txt'] });

// The OpenAPI document (docs/openapi.json), which the API serves at /api/v1/openapi.json, without its indentation.
const openapi = JSON.stringify(JSON.parse(readFileSync(join(here, '..', 'docs', 'openapi.json'), 'utf8')));
writeFileSync(join(out, 'openapi.json'), openapi);
assets.push({ path: '/api/v1/openapi.json', file: join(out, 'openapi.json'), immutable: false,
  type: 'application/json; charset=utf-8' });

function hashOf(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

// A C++ string literal of any bytes: printable ASCII as it is, everything else as three-digit octal escapes
// (which, unlike \x, never swallow the character after them).
function literal(bytes) {
  const lines = [];
  let line = '';
  for (const byte of bytes) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c && byte !== 0x3f) {
      line += String.fromCharCode(byte);
    } else {
      line += '\\' + byte.toString(8).padStart(3, '0');
    }
    if (line.length >= 120) {
      lines.push(`"${line}"`);
      line = '';
    }
  }
  if (line.length > 0 || lines.length === 0) {
    lines.push(`"${line}"`);
  }
  return lines.join('\n    ');
}

let cpp = `// Generated by web/build.mjs from web/; do not edit.
#include "jobsessions/web/embedded_assets.hpp"

// A file is one string literal, longer than the 65,536 characters the standard asks compilers to take; GCC and
// Clang take any length.
#pragma GCC diagnostic ignored "-Woverlength-strings"

namespace jobsessions::web {
namespace {
`;
const table = [];
let total = { identity: 0, gzip: 0, brotli: 0 };
// Sorted as C++ compares std::string_view (bytes), for the server's binary search.
assets.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
assets.forEach((asset, i) => {
  const bytes = readFileSync(asset.file);
  const gzip = gzipSync(bytes, { level: 9 });
  const brotli = brotliCompressSync(bytes, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  // A compressed form is kept only when it saves something worth a header.
  const worth = (packed) => packed.length + 64 < bytes.length;
  const variants = { identity: bytes, gzip: worth(gzip) ? gzip : null, brotli: worth(brotli) ? brotli : null };
  const fields = [];
  for (const [name, data] of Object.entries(variants)) {
    if (data === null) {
      fields.push('{}');
      continue;
    }
    cpp += `constexpr char k${i}_${name}[] =\n    ${literal(data)};\n`;
    fields.push(`{k${i}_${name}, sizeof k${i}_${name} - 1}`);
    total[name] += data.length;
  }
  const etag = `"${hashOf(bytes).slice(0, 20)}"`;
  table.push(
    `    {${JSON.stringify(asset.path)}, ${JSON.stringify(asset.type ?? typeOf(asset.path))}, ` +
      `R"(${etag})", ${asset.immutable}, ${fields.join(', ')}},`,
  );
});
cpp += `
constexpr EmbeddedAsset kAssets[] = {
${table.join('\n')}
};

} // namespace

std::span<const EmbeddedAsset> embedded_assets() noexcept
{
    return kAssets;
}

} // namespace jobsessions::web
`;
writeFileSync(join(out, 'web_assets.cpp.new'), cpp);
// Rewritten only when it changed, so that an unchanged console recompiles nothing.
let old = '';
try {
  old = readFileSync(join(out, 'web_assets.cpp'), 'utf8');
} catch {
  // first build
}
if (old !== cpp) {
  writeFileSync(join(out, 'web_assets.cpp'), cpp);
}
rmSync(join(out, 'web_assets.cpp.new'));
writeFileSync(
  join(out, 'sizes.json'),
  JSON.stringify({ assets: assets.map((a) => a.path), total }, null, 2) + '\n',
);
