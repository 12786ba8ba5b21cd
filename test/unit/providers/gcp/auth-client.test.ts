// The store's google-auth AuthClient: both SDK transports get the token source's bearer token —
// gRPC through getRequestHeaders, the REST fallback through fetch → request (checked against a
// local HTTP server) — and a failing source fails the request with its own error.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tokenAuthClient } from '../../../../src/providers/gcp/auth-client';
import { AuthError } from '../../../../src/providers/core/errors';

let server: Server;
let url = '';
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/x`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

test('headers, access token, request and fetch all carry the current token', async () => {
  let n = 0;
  const client = tokenAuthClient(async () => ({ token: `tok-${++n}`, expiresAt: Date.now() + 3600_000 }));
  expect((await client.getRequestHeaders()).get('authorization')).toBe('Bearer tok-1');
  expect(await client.getAccessToken()).toEqual({ token: 'tok-2' });
  const res = await client.request<{ ok: boolean }>({ url, headers: { 'x-extra': 'kept' } });
  expect(res.data).toEqual({ ok: true });
  await client.fetch(url, { method: 'GET' });
  expect(seen.map((h) => h.authorization)).toEqual(['Bearer tok-3', 'Bearer tok-4']);
  expect(seen[0]!['x-extra']).toBe('kept');
});

test("a failing token source fails the request with the source's error, before anything is sent", async () => {
  const before = seen.length;
  const client = tokenAuthClient(() =>
    Promise.reject(new AuthError('grant roles/iam.workloadIdentityUser …')),
  );
  await expect(client.request({ url })).rejects.toThrow('grant roles/iam.workloadIdentityUser');
  expect(seen.length).toBe(before);
});
