// Checks every answer of the API that the end-to-end tests saw against the OpenAPI document: its status is
// documented for the operation, its media type too, and a JSON body validates against the schema. Then checks
// that every operation of the document was seen answering with success at least once, so that the document
// describes what the server does, not what it once did.
//
//   node check-exchanges.mjs DOCUMENT EXCHANGE_DIR
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [documentPath, exchangeDir] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(documentPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('password', true);
ajv.addSchema({ ...doc, $id: 'openapi.json' });

const pointer = (...parts) => parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const validators = new Map();
function validatorFor(ref) {
  if (!validators.has(ref)) {
    validators.set(ref, ajv.compile({ $ref: ref }));
  }
  return validators.get(ref);
}

// The server matches literal segments without regard to case, ignores a trailing slash, and prefers literals to
// parameters.
const templates = Object.keys(doc.paths).map((path) => ({ path, segments: path.split('/').slice(1) }));
function match(target) {
  const path = target.split('?')[0].replace(/\/+$/, '');
  const segments = path.split('/').slice(1);
  let best = null;
  for (const t of templates) {
    if (t.segments.length !== segments.length) continue;
    let literals = 0;
    const ok = t.segments.every((s, i) => {
      if (s.startsWith('{')) return segments[i] !== '';
      literals += 1;
      return s.toLowerCase() === segments[i].toLowerCase();
    });
    if (ok && (!best || literals > best.literals)) best = { path: t.path, literals };
  }
  return best?.path ?? null;
}

const mediaType = (contentType) => contentType.split(';')[0].trim().toLowerCase();
const failures = [];
const seen = new Set();
let count = 0;
const problemRef = 'openapi.json#/components/schemas/Problem';

function checkBody(where, ref, exchange) {
  if (exchange.body === undefined || exchange.body === '') {
    return;
  }
  let value;
  try {
    value = JSON.parse(exchange.body);
  } catch {
    failures.push(`${where}: the body is not JSON`);
    return;
  }
  const validate = validatorFor(ref);
  if (!validate(value)) {
    failures.push(`${where}: ${ajv.errorsText(validate.errors, { separator: '; ' })}\n    ${exchange.body.slice(0, 300)}`);
  }
}

for (const file of readdirSync(exchangeDir).filter((f) => f.endsWith('.jsonl'))) {
  for (const line of readFileSync(join(exchangeDir, file), 'utf8').split('\n')) {
    if (!line) continue;
    const exchange = JSON.parse(line);
    count += 1;
    const method = exchange.method === 'HEAD' ? 'get' : exchange.method.toLowerCase();
    const where = `${exchange.method} ${exchange.target} → ${exchange.status}`;
    const path = match(exchange.target);
    const operation = path && doc.paths[path][method];
    if (!operation) {
      // Not an operation of the document: the router's own 404 or 405, as a problem.
      if (![404, 405].includes(exchange.status)) {
        failures.push(`${where}: no such operation in the document`);
      } else {
        checkBody(where, problemRef, exchange);
      }
      continue;
    }
    const response = operation.responses[String(exchange.status)] ?? operation.responses.default;
    if (!response) {
      failures.push(`${where}: status not documented for ${method.toUpperCase()} ${path}`);
      continue;
    }
    if (exchange.status < 300) {
      seen.add(`${method.toUpperCase()} ${path}`);
    }
    const resolved = response.$ref ? doc.components.responses[response.$ref.split('/').pop()] : response;
    const responseRef = response.$ref
      ? `openapi.json#${pointer('', 'components', 'responses', response.$ref.split('/').pop())}`
      : `openapi.json#${pointer('', 'paths', path, method, 'responses', exchange.status)}`;
    if (!resolved.content) {
      if (exchange.body) failures.push(`${where}: a body where the document says none`);
      continue;
    }
    const type = mediaType(exchange.contentType ?? '');
    const key = Object.keys(resolved.content).find((k) => mediaType(k) === type);
    if (!key) {
      failures.push(`${where}: media type '${type}' not documented (${Object.keys(resolved.content).join(', ')})`);
      continue;
    }
    if (exchange.method !== 'HEAD' && (type === 'application/json' || type.endsWith('+json'))) {
      checkBody(where, `${responseRef}/content/${pointer(key)}/schema`, exchange);
    }
  }
}

const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.keys(item).filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
    .map((m) => `${m.toUpperCase()} ${path}`));
const unseen = operations.filter((o) => !seen.has(o));
for (const operation of unseen) {
  failures.push(`${operation}: no end-to-end test saw it succeed (run the whole e2e label, or leave this check out ` +
    'with ctest -FC exchanges)');
}
console.log(`${count} answers of ${operations.length} operations checked against ${documentPath}`);
if (failures.length > 0) {
  console.error(`${failures.length} problems:\n${failures.join('\n')}`);
  process.exit(1);
}
