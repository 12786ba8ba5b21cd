// Environment variables that point AWS SDKs at the testbed: moto for Secrets Manager and SQS, the
// verifying STS front for STS, and the fake EKS Pod Identity agent's URL (used only when a test sets
// AWS_CONTAINER_CREDENTIALS_FULL_URI to it).
export function awsIdentityEnv(
  motoUrl: string,
  stsUrl: string,
  podIdentityUrl: string,
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: motoUrl,
    AWS_ENDPOINT_URL_STS: stsUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    SECRETSYNC_EKS_POD_IDENTITY_URL: podIdentityUrl,
  };
}
