// node-forge loads on the first PKCS#12 function a template calls, not with the template engine
// (the controller's module floor; BENCHMARKS.md "RSS floor").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { render } from './helpers';

// Counts requires of node-forge through jest's module registry (the factory runs on first require;
// the count lives on globalThis so that an eager import at module load is counted too).
jest.mock('node-forge', () => {
  const g = globalThis as { mockForgeLoads?: number };
  g.mockForgeLoads = (g.mockForgeLoads ?? 0) + 1;
  return jest.requireActual('node-forge');
});
const forgeLoads = () => (globalThis as { mockForgeLoads?: number }).mockForgeLoads ?? 0;

test('templates without PKCS#12 functions do not load node-forge; the first PKCS#12 call does, once', () => {
  expect(render('{{ .a | upper }}', { a: 'x' })).toBe('X');
  expect(forgeLoads()).toBe(0);

  const file = (name: string) => readFileSync(join(__dirname, 'fixtures', 'crypto', name));
  const key = render('{{ .p12 | pkcs12key }}', { p12: file('leaf-modern-nopass.p12') });
  expect(key).toBe(file('expected-leaf-pkcs8.pem').toString());
  const data = { cert: file('leaf.crt').toString(), key: file('leaf.key').toString() };
  expect(render('{{ pemToPkcs12 .cert .key | b64dec | pkcs12key }}', data)).toBe(key);
  expect(forgeLoads()).toBe(1);
});
