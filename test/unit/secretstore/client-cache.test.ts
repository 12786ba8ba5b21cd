// ProviderClients: one client per store generation and ExternalSecret namespace, shared until the
// store changes; a change or deletion closes the store's clients (and no other store's), the
// periodic sweep closes only those of versions no longer current, a client that failed to build is
// not kept. Built from real `fake` provider stores; nothing here talks to an apiserver.
import { newKubeConfig } from '../../../src/kube/kubeconfig';
import {
  clientKey,
  keysToDrop,
  keyStore,
  ProviderClients,
} from '../../../src/controllers/secretstore/client-cache';
import { storeId, type StoreObject } from '../../../src/controllers/secretstore/store';
import { createLogger } from '../../../src/observability/logger';
import { Metrics } from '../../../src/observability/metrics';
import { decorate } from '../../../src/providers/core/decorate';
import { InvalidRefError, UnavailableError } from '../../../src/providers/core/errors';
import type { SecretsClient } from '../../../src/providers/core/types';

/** A SecretStore in team-a, or with `cluster` a ClusterSecretStore. */
const store = (name: string, generation = 1, cluster = false): StoreObject => ({
  kind: cluster ? 'ClusterSecretStore' : 'SecretStore',
  name,
  ...(!cluster && { namespace: 'team-a' }),
  generation,
  spec: { provider: { fake: { data: [{ key: 'k', value: 'v' }] } } } as StoreObject['spec'],
});

describe('cache keys', () => {
  test('a key names the store, its generation and the ExternalSecret namespace', () => {
    const key = clientKey(store('css', 3, true), 'team-b');
    expect(key).toBe('ClusterSecretStore//css@3@team-b');
    expect(keyStore(key)).toEqual({ storeId: 'ClusterSecretStore//css', generation: 3 });
  });

  test("a store change drops all of that store's clients and no other store's", () => {
    const keys = [
      clientKey(store('a', 1), 'team-a'),
      clientKey(store('a', 2), 'team-a'),
      clientKey(store('a', 2), 'team-b'),
      clientKey(store('ab', 2), 'team-a'), // a name that starts with the other's
      clientKey({ ...store('a', 2), namespace: 'team-b' }, 'team-b'), // same name, other namespace
    ];
    expect(keysToDrop(keys, 'SecretStore/team-a/a')).toEqual(keys.slice(0, 3));
  });

  test('the periodic sweep keeps the clients of the current generation', () => {
    const keys = [clientKey(store('a', 1), 'team-a'), clientKey(store('a', 2), 'team-a')];
    expect(keysToDrop(keys, 'SecretStore/team-a/a', (g) => g === 2)).toEqual([keys[0]]);
  });
});

describe('ProviderClients', () => {
  /** A cache whose clients record their close and whose answered calls are listed. */
  function cache() {
    const closed: string[] = [];
    const answered: string[] = [];
    const wrapped: string[] = [];
    const clients = new ProviderClients({
      kc: newKubeConfig(),
      logger: createLogger('silent'),
      metrics: new Metrics(false),
      readSecret: async () => undefined,
      answered: (id) => answered.push(id),
      wrap: (client: SecretsClient, s: StoreObject, ns: string, provider: string) => {
        wrapped.push(`${storeId(s)}@${s.generation}@${ns} ${provider}`);
        return decorate(client, async (op, call) => {
          if (op === 'close') closed.push(`${storeId(s)}@${s.generation}@${ns}`);
          return call();
        });
      },
    });
    return { clients, closed, answered, wrapped };
  }

  test('one client per store generation and namespace, wrapped once, shared until dropped', async () => {
    const { clients, wrapped } = cache();
    const first = clients.client(store('a', 1), 'team-a');
    expect(clients.client(store('a', 1), 'team-a')).toBe(first);
    expect(clients.client(store('a', 1), 'team-b')).not.toBe(first);
    expect(clients.client(store('a', 2), 'team-a')).not.toBe(first);
    await Promise.all(clients.built('SecretStore/team-a/a'));
    expect(wrapped.sort()).toEqual([
      'SecretStore/team-a/a@1@team-a fake',
      'SecretStore/team-a/a@1@team-b fake',
      'SecretStore/team-a/a@2@team-a fake',
    ]);
  });

  test("a dropped store's clients close and refuse calls; the next use builds a new one", async () => {
    const { clients, closed } = cache();
    const a = clients.client(store('a'), 'team-a');
    const b = clients.client(store('b'), 'team-a');
    await Promise.all([a, b]);
    clients.drop('SecretStore/team-a/a');
    const dropped = await a; // the cache asked for its close first
    expect(closed).toEqual(['SecretStore/team-a/a@1@team-a']);
    await dropped.close(); // settles with the close under way
    await expect(dropped.getSecret({ key: 'k' })).rejects.toThrow(UnavailableError);
    expect(clients.built('SecretStore/team-a/a')).toEqual([]);
    expect(clients.client(store('a'), 'team-a')).not.toBe(a);
    expect(new TextDecoder().decode(await (await b).getSecret({ key: 'k' }))).toBe('v');
  });

  test('the sweep closes clients of versions no longer current, and of stores gone', async () => {
    const { clients, closed } = cache();
    const all = [
      clients.client(store('a', 1), 'team-a'),
      clients.client(store('a', 2), 'team-a'),
      clients.client(store('gone', 1), 'team-a'),
    ];
    await Promise.all(all);
    clients.dropStale((id) => (id === 'SecretStore/team-a/a' ? 2 : undefined));
    await Promise.all(all);
    expect(closed.sort()).toEqual(['SecretStore/team-a/a@1@team-a', 'SecretStore/team-a/gone@1@team-a']);
    expect(clients.built('SecretStore/team-a/a')).toEqual([all[1]]);
  });

  test('closeAll closes every client', async () => {
    const { clients, closed } = cache();
    const all = [clients.client(store('a'), 'team-a'), clients.client(store('css', 1, true), 'team-b')];
    await Promise.all(all);
    clients.closeAll();
    await Promise.all(all);
    expect(closed.sort()).toEqual(['ClusterSecretStore//css@1@team-b', 'SecretStore/team-a/a@1@team-a']);
  });

  test('a client that could not be built is not kept', async () => {
    const { clients } = cache();
    const bad: StoreObject = { ...store('bad'), spec: { provider: {} } as StoreObject['spec'] };
    const first = clients.client(bad, 'team-a');
    await expect(first).rejects.toThrow(InvalidRefError);
    expect(clients.built('SecretStore/team-a/bad')).toEqual([]);
    const second = clients.client(bad, 'team-a');
    expect(second).not.toBe(first);
    await expect(second).rejects.toThrow(InvalidRefError);
  });

  test('each answered call is told with its store id', async () => {
    const { clients, answered } = cache();
    const c = await clients.client(store('a'), 'team-a');
    await c.getSecret({ key: 'k' });
    await expect(c.getSecret({ key: 'missing' })).rejects.toThrow();
    expect(answered).toEqual(['SecretStore/team-a/a']);
  });
});
