// Rotation notifications → the remote secret names they concern. Pure: Secret Manager's Pub/Sub
// notifications (attributes eventType + secretId) and EventBridge-shaped Secrets Manager events
// (CloudTrail PutSecretValue, UpdateSecretVersionStage, RotationSucceeded, DeleteSecret).

export type ParsedEvent =
  | { kind: 'secret'; name: string; eventType: string }
  | { kind: 'ignored'; eventType: string }
  | { kind: 'malformed'; why: string };

const GCP_TYPES = new Set([
  'SECRET_VERSION_ADD',
  'SECRET_VERSION_ENABLE',
  'SECRET_VERSION_DISABLE',
  'SECRET_VERSION_DESTROY',
  'SECRET_DELETE',
  'SECRET_UPDATE',
]);

/** Short secret name of a GCP resource name (`projects/p/[locations/l/]secrets/<name>[/versions/n]`). */
export function gcpShortName(key: string): string {
  return /(?:^|\/)secrets\/([^/]+)/.exec(key)?.[1] ?? key;
}

export function parsePubSubNotification(attributes: Record<string, string> | undefined): ParsedEvent {
  const eventType = attributes?.eventType;
  const secretId = attributes?.secretId;
  if (!eventType || !secretId) return { kind: 'malformed', why: 'missing eventType or secretId attribute' };
  if (!GCP_TYPES.has(eventType)) return { kind: 'ignored', eventType };
  if (!/^projects\/[^/]+\/(locations\/[^/]+\/)?secrets\/[^/]+$/.test(secretId)) {
    return { kind: 'malformed', why: 'secretId is not a secret resource name' };
  }
  return { kind: 'secret', name: gcpShortName(secretId), eventType };
}

const AWS_EVENTS = new Set([
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'RotationSucceeded',
  'DeleteSecret',
  'UpdateSecret',
  'RestoreSecret',
]);

/** Secret name from a name or an ARN (`arn:aws:secretsmanager:r:a:secret:<name>-AbCdEf`). */
export function awsSecretName(idOrArn: string): string {
  const m = /^arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(idOrArn);
  if (!m) return idOrArn;
  // AWS appends a hyphen and six random characters to the name in the ARN.
  return m[1]!.replace(/-[A-Za-z0-9]{6}$/, '');
}

export function parseSecretsManagerEvent(body: string): ParsedEvent {
  let evt: {
    source?: string;
    'detail-type'?: string;
    detail?: {
      eventName?: string;
      requestParameters?: { secretId?: string; name?: string };
      additionalEventData?: { SecretId?: string };
      responseElements?: { arn?: string };
    };
  };
  try {
    evt = JSON.parse(body) as typeof evt;
  } catch {
    return { kind: 'malformed', why: 'body is not JSON' };
  }
  if (evt?.source !== 'aws.secretsmanager')
    return { kind: 'malformed', why: 'source is not aws.secretsmanager' };
  const eventType = evt.detail?.eventName ?? evt['detail-type'] ?? '';
  if (!AWS_EVENTS.has(eventType)) return { kind: 'ignored', eventType };
  const id =
    evt.detail?.requestParameters?.secretId ??
    evt.detail?.additionalEventData?.SecretId ??
    evt.detail?.requestParameters?.name ??
    evt.detail?.responseElements?.arn;
  if (!id) return { kind: 'malformed', why: 'no secret id in the event' };
  return { kind: 'secret', name: awsSecretName(id), eventType };
}

/** One spelling for a remote secret in ExternalSecrets and in events: short GCP name, AWS name. */
export function normalizeRemoteName(key: string): string {
  return awsSecretName(gcpShortName(key));
}
