// Controllers whose writes the shared testbed's audit log records: each runs as its own
// ServiceAccount of AUDITED_NAMESPACE (so the log tells replicas apart by user), bound to exactly
// the roles deploy/ (and the sharding component) give the `secretsync` ServiceAccount.
import * as k8s from '@kubernetes/client-node';
import { join } from 'node:path';
import { AUDITED_NAMESPACE } from '../../dev/testbed';
import { AuditLog } from '../../dev/bench/audit';
import { applyFile, applyYaml } from './apply';
import { installDeploy } from './controller';
import { adminConfig, clients } from './kube';
import { newKubeConfig } from '../../src/kube/kubeconfig';

export { AUDITED_NAMESPACE };

const repo = join(__dirname, '..', '..');
const group = `system:serviceaccounts:${AUDITED_NAMESPACE}`;
let bound: Promise<void> | undefined;

/** deploy/'s roles (and the shard ring's) bound to every ServiceAccount of AUDITED_NAMESPACE. */
function bindRoles(): Promise<void> {
  bound ??= (async () => {
    await installDeploy();
    await applyFile(join(repo, 'overlays', 'components', 'sharding', 'rbac.yaml'));
    const binding = (kind: string, roleKind: string, name: string, ns?: string) => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ${kind}
metadata: {name: ${AUDITED_NAMESPACE}-${name}${ns ? `, namespace: ${ns}` : ''}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ${roleKind}, name: ${name}}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: '${group}'}]
`;
    await applyYaml(
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${AUDITED_NAMESPACE}}\n` +
        binding('ClusterRoleBinding', 'ClusterRole', 'secretsync-controller') +
        binding('ClusterRoleBinding', 'ClusterRole', 'secretsync-sharder') +
        ['secretsync-leader-election', 'secretsync-digest-key', 'secretsync-shard-ring']
          .map((r) => binding('RoleBinding', 'Role', r, 'secretsync-system'))
          .join(''),
    );
  })();
  return bound;
}

export interface AuditedAccount {
  /** The user the audit log records: system:serviceaccount:<AUDITED_NAMESPACE>:<name>. */
  user: string;
  server: string;
  token: string;
  kubeConfig(): k8s.KubeConfig;
  delete(): Promise<void>;
}

/** A new ServiceAccount `name` of AUDITED_NAMESPACE with deploy/'s permissions, and a token. */
export async function auditedAccount(name: string): Promise<AuditedAccount> {
  await bindRoles();
  const { core } = clients();
  await core.createNamespacedServiceAccount({ namespace: AUDITED_NAMESPACE, body: { metadata: { name } } });
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace: AUDITED_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const server = adminConfig().getCurrentCluster()!.server;
  const token = tr.status!.token!;
  return {
    user: `system:serviceaccount:${AUDITED_NAMESPACE}:${name}`,
    server,
    token,
    kubeConfig() {
      const kc = newKubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'testbed', server, skipTLSVerify: true }],
        users: [{ name, token }],
        contexts: [{ name, cluster: 'testbed', user: name }],
        currentContext: name,
      });
      return kc;
    },
    delete: () =>
      core
        .deleteNamespacedServiceAccount({ name, namespace: AUDITED_NAMESPACE })
        .then(() => undefined)
        .catch(() => undefined),
  };
}

/** The shared testbed's audit log (writes by audited accounts), read from where it is now. */
export function auditLog(): AuditLog {
  const file = process.env.SECRETSYNC_TESTBED_AUDIT_LOG;
  if (!file)
    throw new Error('the testbed runs without an audit log (test/support/global-setup.ts starts it)');
  const log = new AuditLog(file);
  log.poll();
  log.entries.length = 0;
  return log;
}
