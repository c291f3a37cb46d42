/**
 * SECRETS_MANAGER_ENDPOINT (AWS's rotation templates set it to the regional name, which the VPC
 * endpoint's private DNS answers) unless the SDK's own AWS_ENDPOINT_URL_SECRETS_MANAGER is set: Lambda
 * never sets that, the local cloud always does, so the template's value cannot send a local run to AWS.
 */
export function secretsManagerEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  if (env.AWS_ENDPOINT_URL_SECRETS_MANAGER) return undefined;
  return env.SECRETS_MANAGER_ENDPOINT || undefined;
}
