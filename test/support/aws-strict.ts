// The testbed's IAM-enforcing moto (test/testbed/fakes/aws-strict.ts): identities with exactly the
// policies a test grants, an admin client for seeding, and the front's record of who called what.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { queryCall, type AwsKeys } from '../testbed/fakes/sigv4';

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
