// The testbed's IAM-enforcing moto (dev/testbed/fakes/aws-strict.ts): identities with exactly the
// policies a test grants, an admin client for seeding, and the front's record of who called what.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STRICT_ADMIN_USER } from '../../dev/testbed/fakes/aws-strict';
import { queryCall, type AwsKeys } from '../../dev/testbed/fakes/sigv4';

export const STRICT_ACCOUNT = '123456789012';

export function strictUrl(): string {
  const url = process.env.SECRETSYNC_TESTBED_AWS_STRICT_URL;
  if (!url) throw new Error('the testbed has no strict moto (started withMoto: false?)');
  return url;
}

export function strictAdmin(): AwsKeys {
  return {
    accessKeyId: process.env.SECRETSYNC_TESTBED_AWS_STRICT_ADMIN_KEY_ID ?? '',
    secretAccessKey: process.env.SECRETSYNC_TESTBED_AWS_STRICT_ADMIN_SECRET ?? '',
  };
}

/** Secrets Manager on the strict moto as `keys` (default: the admin, for seeding). */
export function strictSecretsManager(keys: AwsKeys = strictAdmin()): SecretsManagerClient {
  return new SecretsManagerClient({ region: 'us-east-1', endpoint: strictUrl(), credentials: keys });
}

const iam = (params: Record<string, string>) =>
  queryCall(strictUrl(), 'iam', { ...params, Version: '2010-05-08' }, strictAdmin());

/**
 * An IAM user whose only policy allows `actions` (e.g. `secretsmanager:GetSecretValue`) on every
 * resource; its new access key. Names must be unique in the testbed run.
 */
export async function strictUser(name: string, actions: string[]): Promise<AwsKeys & { arn: string }> {
  await iam({ Action: 'CreateUser', UserName: name });
  if (actions.length > 0) {
    await iam({
      Action: 'PutUserPolicy',
      UserName: name,
      PolicyName: 'granted',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
      }),
    });
  }
  const xml = await iam({ Action: 'CreateAccessKey', UserName: name });
  const pick = (tag: string) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)?.[1] ?? '';
  return {
    accessKeyId: pick('AccessKeyId'),
    secretAccessKey: pick('SecretAccessKey'),
    arn: `arn:aws:iam::${STRICT_ACCOUNT}:user/${name}`,
  };
}

export interface StrictCall {
  /** `secretsmanager.GetSecretValue`, … (empty for Query-protocol services). */
  target: string;
  accessKeyId?: string;
  outcome: number;
  /** AWS's error code when the front rewrote a refusal. */
  error?: string;
}

/** Every request the strict front forwarded so far (all tests of the run share it: filter by key). */
export async function strictCalls(): Promise<StrictCall[]> {
  const res = await fetch(`${strictUrl()}/_testbed/requests`);
  const all = (await res.json()) as { outcome: number; detail?: Record<string, unknown> }[];
  return all.map((r) => ({
    target: String(r.detail?.target ?? ''),
    outcome: r.outcome,
    ...(typeof r.detail?.accessKeyId === 'string' && { accessKeyId: r.detail.accessKeyId }),
    ...(typeof r.detail?.error === 'string' && { error: r.detail.error }),
  }));
}

/** Calls made with one access key, by Secrets Manager operation (`ListSecrets: 2`, …). */
export async function strictCallCounts(accessKeyId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of await strictCalls()) {
    if (c.accessKeyId !== accessKeyId || !c.target.startsWith('secretsmanager.')) continue;
    const op = c.target.slice('secretsmanager.'.length);
    out[op] = (out[op] ?? 0) + 1;
  }
  return out;
}

/** POSTs testbed configuration (trust map, association) to a strict identity fake. */
async function strictFake(envVar: string, path: string, body: unknown): Promise<void> {
  const base = new URL(process.env[envVar] ?? '').origin;
  const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${envVar} ${path}: HTTP ${res.status}`);
}

/**
 * An IAM role whose only policy allows `actions` on every resource, assumable through the strict
 * identity fakes: by web identity (IRSA) for `webIdentity` subjects (`system:serviceaccount:ns:sa`,
 * audience sts.amazonaws.com), and through the Pod Identity agent for `podIdentity` subjects (its
 * trust policy allows the testbed admin, which the agent signs as, standing in for EKS).
 */
export async function strictRole(
  name: string,
  actions: string[],
  opts: { webIdentity?: string[]; podIdentity?: string[] } = {},
): Promise<string> {
  const arn = `arn:aws:iam::${STRICT_ACCOUNT}:role/${name}`;
  await iam({
    Action: 'CreateRole',
    RoleName: name,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${STRICT_ACCOUNT}:user/${STRICT_ADMIN_USER}` },
          Action: 'sts:AssumeRole',
        },
      ],
    }),
  });
  if (actions.length > 0) {
    await iam({
      Action: 'PutRolePolicy',
      RoleName: name,
      PolicyName: 'granted',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
      }),
    });
  }
  if (opts.webIdentity) {
    await strictFake('SECRETSYNC_TESTBED_AWS_STRICT_STS_URL', '/_testbed/trust', {
      roleArn: arn,
      subjects: opts.webIdentity,
      audience: 'sts.amazonaws.com',
    });
  }
  for (const subject of opts.podIdentity ?? []) {
    await strictFake('SECRETSYNC_TESTBED_AWS_STRICT_POD_IDENTITY_URL', '/_testbed/associations', {
      subject,
      roleArn: arn,
    });
  }
  return arn;
}
