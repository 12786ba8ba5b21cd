import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { ClusterSecretStore, ExternalSecret, ExternalSecretList, SecretStore } from '../../../src/api';

const ROOT = path.resolve(__dirname, '../../..');

describe('src/api/generated.ts', () => {
  it('is up to date with crds/*.yaml (and the CRD copies are in sync)', () => {
    // --check regenerates everything in memory and compares it with the files on disk.
    let output = '';
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'scripts/gen-api-types.mjs'), '--check'], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    expect(output).toBe('');
  }, 60_000);

  it('types the objects users write', () => {
    // Compile-time checks: these literals must satisfy the generated interfaces.
    const es: ExternalSecret = {
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ExternalSecret',
      metadata: { name: 'database-credentials', namespace: 'app' },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'gcp-secret-store', kind: 'ClusterSecretStore' },
        target: { name: 'database-credentials', creationPolicy: 'Owner', deletionPolicy: 'Retain' },
        data: [{ secretKey: 'password', remoteRef: { key: 'projects/my-project/secrets/db-password' } }],
        dataFrom: [
          { find: { name: { regexp: '^db-' } }, rewrite: [{ regexp: { source: '^db-', target: '' } }] },
        ],
      },
      status: { refreshTime: null, conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced' }] },
    };
    const store: SecretStore = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      spec: {
        provider: {
          aws: {
            service: 'SecretsManager',
            region: 'eu-west-1',
            auth: { jwt: { serviceAccountRef: { name: 'sa' } } },
          },
        },
        refreshInterval: 60,
      },
    };
    const css: ClusterSecretStore = {
      kind: 'ClusterSecretStore',
      spec: {
        provider: {
          gcpsm: { projectID: 'p', auth: { workloadIdentity: { serviceAccountRef: { name: 'sa' } } } },
        },
        conditions: [{ namespaces: ['app'] }],
        refreshInterval: '5m',
      },
    };
    const list: ExternalSecretList = { items: [es] };
    expect([es.kind, store.kind, css.kind, list.items.length]).toEqual([
      'ExternalSecret',
      'SecretStore',
      'ClusterSecretStore',
      1,
    ]);
  });
});
