// Standard AWS variables pointing the real SDK at the ECR stand-in. Nothing here is read by product code except
// through the SDK's own configuration chain.
export function standInAwsEnv(standInUrl: string, region = 'us-east-1', stsUrl?: string): Record<string, string> {
  return {
    ...(stsUrl ? { AWS_ENDPOINT_URL_STS: stsUrl } : {}),
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'AKIASTANDIN000000001',
    AWS_SECRET_ACCESS_KEY: 'stand-in-secret-access-key',
    AWS_ENDPOINT_URL_ECR: standInUrl,
    AWS_ENDPOINT_URL_ECR_PUBLIC: standInUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

/** For in-process tests: applies the variables and returns a function that restores the previous values. */
export function useStandInAwsEnv(standInUrl: string, region?: string, stsUrl?: string): () => void {
  const values = standInAwsEnv(standInUrl, region, stsUrl);
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
